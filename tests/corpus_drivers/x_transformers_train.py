"""x-transformers: a tiny decoder-only LM trained with its AutoregressiveWrapper.

The device comes from the package's own `default_device()` (converted: `torch.mlu.is_available()`
-> `torch.device('mlu')`); attention runs through its flash path (`Attend` with `attn_flash`, which
wraps SDPA in `torch.nn.attention.sdpa_kernel`).
"""

import torch

from _common import check_imported_from, device_type, report, setup

root, device = setup("x_transformers")

import x_transformers  # noqa: E402
from x_transformers import AutoregressiveWrapper, Decoder, TransformerWrapper  # noqa: E402
from x_transformers.attend import default_device  # noqa: E402

check_imported_from(x_transformers, root)
chosen = default_device()
assert chosen.type == device_type(device), f"default_device() chose {chosen}, expected {device}"

torch.manual_seed(0)
net = TransformerWrapper(
    num_tokens=64, max_seq_len=32,
    attn_layers=Decoder(dim=32, depth=2, heads=4, attn_flash=True, rotary_pos_emb=True),
)
model = AutoregressiveWrapper(net).to(chosen)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)

gen = torch.Generator().manual_seed(1)
batches = [torch.randint(0, 64, (4, 33), generator=gen) for _ in range(3)]

model.train()
for step, seq in enumerate(batches):
    loss = model(seq.to(chosen))
    opt.zero_grad()
    loss.backward()
    opt.step()
    report(step, loss)

# the package's own sampling loop on the device, one token short of the context
sample = model.generate(batches[0][:1, :4].to(chosen), 4, temperature=0.0)
assert sample.device.type == device_type(device) and sample.shape == (1, 4), (sample.device, sample.shape)
print("sample", sample.cpu().tolist())
