"""denoising-diffusion-pytorch: two tiny diffusion models trained on synthetic data.

- `simple_diffusion.GaussianDiffusion` over a `UViT`: the package's own training loss (times and
  noise drawn on the model's device; `q_sample` under `@autocast('mlu', enabled = False)`,
  converted from 'cuda');
- `karras_unet_1d.KarrasUnet1D` with `attn_flash=True`: its `attend.Attend` picks SDPA backends
  from the device (converted: `torch.mlu.is_available()`,
  `torch.mlu.get_device_properties(torch.device('mlu'))`, `q.is_mlu`).

denoising_diffusion_pytorch/__init__.py imports the Trainer (accelerate, torchvision, pytorch-fid):
the submodules are imported without it (see _common.setup).
"""

import torch
import torch.nn.functional as F

from _common import check_imported_from, device_type, report, setup

root, device = setup("denoising_diffusion_pytorch", skip_init=True)

from denoising_diffusion_pytorch import karras_unet_1d, simple_diffusion  # noqa: E402

check_imported_from(simple_diffusion, root)
check_imported_from(karras_unet_1d, root)

gen = torch.Generator().manual_seed(1)
step = 0

# 1. simple diffusion: the package draws its own times and noise on the device
torch.manual_seed(0)
uvit = simple_diffusion.UViT(dim=8, dim_mults=(1, 2), vit_depth=1, vit_dropout=0.0,
                             attn_dim_head=8, attn_heads=2)
diffusion = simple_diffusion.GaussianDiffusion(uvit, image_size=8, num_sample_steps=2).to(device)
opt = torch.optim.Adam(diffusion.parameters(), lr=1e-3)
images = [torch.rand(2, 3, 8, 8, generator=gen) for _ in range(3)]
torch.manual_seed(2)  # the steps draw from the device's generator only: reseed it after init
for img in images:
    loss = diffusion(img.to(device))
    opt.zero_grad()
    loss.backward()
    opt.step()
    report(step, loss)
    step += 1
assert diffusion.device.type == device_type(device), diffusion.device

# 2. Karras U-Net 1D with flash attention, trained to denoise
torch.manual_seed(0)
unet = karras_unet_1d.KarrasUnet1D(seq_len=16, dim=16, dim_max=32, channels=2, num_downsamples=2,
                                   num_blocks_per_stage=1, attn_res=(8, 4), attn_dim_head=8,
                                   attn_flash=True, dropout=0.0).to(device)
opt = torch.optim.Adam(unet.parameters(), lr=1e-3)
for _ in range(3):
    clean = torch.randn(2, 2, 16, generator=gen)
    noise = torch.randn(2, 2, 16, generator=gen)
    times = torch.rand(2, generator=gen)
    noisy = clean + noise * times[:, None, None]
    loss = F.mse_loss(unet(noisy.to(device), times.to(device)), clean.to(device))
    opt.zero_grad()
    loss.backward()
    opt.step()
    report(step, loss)
    step += 1
