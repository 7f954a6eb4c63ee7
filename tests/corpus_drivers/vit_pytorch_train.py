"""vit-pytorch: two tiny image classifiers trained on synthetic images.

- `simple_flash_attn_vit.SimpleViT`: its `Attend` picks SDPA settings from the device
  (converted: `torch.mlu.is_available()`, `torch.mlu.get_device_properties(torch.device('mlu'))`,
  `q.is_mlu`, `torch.backends.mlu.sdp_kernel`);
- `rvt.RvT`: rotary embeddings under `@autocast('mlu', enabled = False)` (converted from 'cuda').

vit_pytorch/__init__.py imports dino.py, which needs torchvision: the submodules are imported
without it (see _common.setup).
"""

import torch
import torch.nn.functional as F

from _common import check_imported_from, report, setup

root, device = setup("vit_pytorch", skip_init=True)

from vit_pytorch import rvt, simple_flash_attn_vit  # noqa: E402

check_imported_from(simple_flash_attn_vit, root)

gen = torch.Generator().manual_seed(1)
images = [torch.randn(4, 3, 16, 16, generator=gen) for _ in range(3)]
labels = [torch.randint(0, 10, (4,), generator=gen) for _ in range(3)]

models = {
    "SimpleViT": lambda: simple_flash_attn_vit.SimpleViT(
        image_size=16, patch_size=4, num_classes=10, dim=32, depth=2, heads=4, mlp_dim=64,
        dim_head=8, use_flash=True),
    "RvT": lambda: rvt.RvT(
        image_size=16, patch_size=4, num_classes=10, dim=32, depth=2, heads=4, mlp_dim=64,
        dim_head=8),
}

step = 0
for name, build in models.items():
    torch.manual_seed(0)
    model = build().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model.train()
    for x, y in zip(images, labels):
        loss = F.cross_entropy(model(x.to(device)), y.to(device))
        opt.zero_grad()
        loss.backward()
        opt.step()
        report(step, loss)
        step += 1
    print(name, "done", flush=True)
