"""A zoo of layers and small models, trained a few steps on CPU and on the emulated MLU.

Each entry builds its model and its batches on CPU from a fixed seed, then
trains STEPS steps twice in this process: once on "cpu", once moved to "mlu"
(model.to("mlu"), every batch .to("mlu")).  Before training, each run seeds
its RNG the way a training script does (torch.manual_seed, plus
torch.mlu.manual_seed on the MLU); the MLU run then draws from the CPU
generator once more, as a shuffling DataLoader does between seeding and the
first step: device-side randomness (dropout) must come from the MLU
generator and not notice.  Compared, CPU vs MLU: every loss, every entry of
the final state_dict (parameters and buffers), the optimizer state, the
output of an eval-mode forward pass, and per-entry checks.

Run it under verify: `gpu2mlu verify -- python tests/verify/zoo.py [NAME...]`
prints one line per entry; `--json FILE` writes the results.  The test
(test_zoo.py) runs it crash-proof through `fidelity.run_isolated` and holds
each entry to tests/verify/fidelity.toml.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fidelity  # noqa: E402

SEED, TRAIN_SEED, STEPS = 0, 1234, 3

ENTRIES: dict = {}


def entry(name):
    def deco(fn):
        ENTRIES[name] = fn
        return fn

    return deco


# --------------------------------------------------------------------------- training


def _nn():
    import torch

    return torch.nn


def _seed_training(device: str) -> None:
    import torch

    torch.manual_seed(TRAIN_SEED)
    if device == "mlu":
        torch.mlu.manual_seed(TRAIN_SEED)
        torch.randperm(64)  # a DataLoader's shuffle: CPU generator only


def _sgd(params):
    import torch

    return torch.optim.SGD(params, lr=0.1)


def _ce(model, x, y):
    import torch.nn.functional as F

    return F.cross_entropy(model(x), y)


def train(device, build, data, loss_fn=_ce, opt_fn=_sgd, steps=STEPS, amp=None, check=None):
    """Build (CPU, fixed seed), move to `device`, train; return what is compared."""
    import torch

    torch.manual_seed(SEED)
    model = build()
    batches = [data() for _ in range(steps)]
    model.to(device)
    extra = check(model) if check else {}
    opt = opt_fn(model.parameters())
    scaler = torch.amp.GradScaler(device, init_scale=2.0 ** 10) if amp else None
    _seed_training(device)
    losses = []
    for batch in batches:
        batch = [b.to(device) for b in batch]
        opt.zero_grad()
        if amp:
            with torch.autocast(device, dtype=amp):
                loss = loss_fn(model, *batch)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        else:
            loss = loss_fn(model, *batch)
            loss.backward()
            opt.step()
        losses.append(loss.detach())
    if scaler is not None:
        extra["scale"] = scaler.get_scale()
    model.eval()
    with torch.no_grad():
        first = [b.to(device) for b in batches[0]]
        out = model(first[0])
    return {"losses": losses, "state": dict(model.state_dict()),
            "optimizer": _opt_state(opt), "raw_optimizer": opt.state_dict()["state"],
            "eval": out, **extra}


def _opt_state(opt) -> dict:
    """The optimizer's state; step counters become numbers (PyTorch keeps them on CPU
    by design unless the optimizer is fused or capturable)."""
    state = {}
    for i, s in opt.state_dict()["state"].items():
        state[i] = {k: (("step", v.item()) if k == "step" else v) for k, v in s.items()}
    return state


def classify(build, shape, classes=5, batch=4, **kw):
    """An entry: `build()` maps (batch, *shape) to (batch, classes) logits."""
    import torch

    def data():
        return torch.randn(batch, *shape), torch.randint(0, classes, (batch,))

    return lambda device: train(device, build, data, **kw)


def _mlp(width=16, classes=5, inp=8):
    nn = _nn()
    return nn.Sequential(nn.Linear(inp, width), nn.ReLU(), nn.Linear(width, classes))


# --------------------------------------------------------------------------- convolutions


@entry("conv1d")
def _():
    nn = _nn()
    return classify(lambda: nn.Sequential(
        nn.Conv1d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv1d(8, 8, 3, stride=2, groups=2),
        nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(8, 5)), (3, 16))


@entry("conv2d")
def _():
    nn = _nn()
    return classify(lambda: nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, stride=2, groups=4),
        nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5)), (3, 12, 12))


@entry("conv3d")
def _():
    nn = _nn()
    return classify(lambda: nn.Sequential(
        nn.Conv3d(2, 4, 3, padding=1), nn.ReLU(), nn.Conv3d(4, 4, 2, stride=2),
        nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(4, 5)), (2, 6, 6, 6), batch=2)


@entry("conv_transpose1d")
def _():
    nn = _nn()
    return classify(lambda: nn.Sequential(
        nn.ConvTranspose1d(3, 6, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(6, 5)), (3, 8))


@entry("conv_transpose2d")
def _():
    nn = _nn()
    return classify(lambda: nn.Sequential(
        nn.ConvTranspose2d(3, 6, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.Conv2d(6, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 5)), (3, 6, 6))


@entry("conv_transpose3d")
def _():
    nn = _nn()
    return classify(lambda: nn.Sequential(
        nn.ConvTranspose3d(2, 4, 2, stride=2), nn.ReLU(),
        nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(4, 5)), (2, 3, 3, 3), batch=2)


# --------------------------------------------------------------------------- norms


@entry("batchnorm1d")
def _():
    nn = _nn()
    return classify(lambda: nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(),
                                           nn.Linear(16, 5)), (8,), batch=8)


@entry("batchnorm2d")
def _():
    nn = _nn()
    return classify(lambda: nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(8, 5)), (3, 8, 8))


@entry("batchnorm3d")
def _():
    nn = _nn()
    return classify(lambda: nn.Sequential(
        nn.Conv3d(2, 4, 3, padding=1), nn.BatchNorm3d(4), nn.ReLU(), nn.AdaptiveAvgPool3d(1),
        nn.Flatten(), nn.Linear(4, 5)), (2, 4, 4, 4))


@entry("layernorm")
def _():
    nn = _nn()
    return classify(lambda: nn.Sequential(nn.Linear(8, 16), nn.LayerNorm(16), nn.GELU(),
                                           nn.Linear(16, 5)), (8,), batch=8)


@entry("groupnorm")
def _():
    nn = _nn()
    return classify(lambda: nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.GroupNorm(2, 8), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(8, 5)), (3, 8, 8))


@entry("instancenorm1d")
def _():
    nn = _nn()
    return classify(lambda: nn.Sequential(
        nn.Conv1d(3, 8, 3, padding=1), nn.InstanceNorm1d(8, affine=True, track_running_stats=True),
        nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(8, 5)), (3, 16))


@entry("instancenorm2d")
def _():
    nn = _nn()
    return classify(lambda: nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.InstanceNorm2d(8, affine=True, track_running_stats=True),
        nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5)), (3, 8, 8))


@entry("instancenorm3d")
def _():
    nn = _nn()
    return classify(lambda: nn.Sequential(
        nn.Conv3d(2, 4, 3, padding=1), nn.InstanceNorm3d(4, affine=True, track_running_stats=True),
        nn.ReLU(), nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(4, 5)), (2, 4, 4, 4))


@entry("rmsnorm")
def _():
    nn = _nn()
    return classify(lambda: nn.Sequential(nn.Linear(8, 16), nn.RMSNorm(16), nn.SiLU(),
                                           nn.Linear(16, 5)), (8,), batch=8)


@entry("localresponsenorm")
def _():
    nn = _nn()
    return classify(lambda: nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.LocalResponseNorm(3), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5)), (3, 8, 8))


# --------------------------------------------------------------------------- attention


def _mha_model():
    nn = _nn()

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(16, 4, batch_first=True)
            self.head = nn.Linear(16, 5)

        def forward(self, x):
            import torch

            mask = torch.zeros(x.shape[0], x.shape[1], dtype=torch.bool, device=x.device)
            mask[:, -1] = True  # the last position is padding
            out, _ = self.attn(x, x, x, key_padding_mask=mask)
            return self.head(out.mean(1))

    return M()


@entry("multihead_attention")
def _():
    return classify(_mha_model, (6, 16))


def _sdpa_model():
    nn = _nn()

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(16, 48)
            self.head = nn.Linear(16, 5)

        def forward(self, x):
            import torch.nn.functional as F

            b, t, _ = x.shape
            q, k, v = self.qkv(x).view(b, t, 3, 4, 4).permute(2, 0, 3, 1, 4)
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.head(out.transpose(1, 2).reshape(b, t, 16).mean(1))

    return M()


@entry("scaled_dot_product_attention")
def _():
    return classify(_sdpa_model, (6, 16))


@entry("transformer_encoder_layer")
def _():
    nn = _nn()

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True)
            self.head = nn.Linear(16, 5)

        def forward(self, x):
            return self.head(self.layer(x).mean(1))

    return classify(M, (6, 16))


# --------------------------------------------------------------------------- embeddings


def _lm(tied: bool):
    nn = _nn()

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(20, 16, padding_idx=0)
            self.block = nn.Sequential(nn.Linear(16, 16), nn.GELU())
            self.norm = nn.LayerNorm(16)
            self.head = nn.Linear(16, 20, bias=False)
            if tied:
                self.head.weight = self.emb.weight  # GPT-style tying

        def forward(self, tokens):
            return self.head(self.norm(self.block(self.emb(tokens))))

    return LM


def _lm_entry(tied: bool):
    import torch
    import torch.nn.functional as F

    def data():
        tokens = torch.randint(0, 20, (4, 8))
        return tokens[:, :-1], tokens[:, 1:]

    def loss(model, x, y):
        return F.cross_entropy(model(x).reshape(-1, 20), y.reshape(-1))

    def check(model):
        return {"tied": model.head.weight is model.emb.weight} if tied else {}

    return lambda device: train(device, _lm(tied), data, loss, check=check)


@entry("embedding")
def _():
    return _lm_entry(tied=False)


@entry("embedding_tied")
def _():
    return _lm_entry(tied=True)


@entry("dropout")
def _():
    nn = _nn()
    return classify(lambda: nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.3),
                                           nn.Linear(32, 5)), (8,), batch=8)


# --------------------------------------------------------------------------- recurrent


def _rnn_entry(cls, **kw):
    nn = _nn()

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = cls(8, 16, num_layers=2, batch_first=True, **kw)
            self.head = nn.Linear(16, 5)

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.head(out[:, -1])

    return classify(M, (7, 8))


@entry("lstm")
def _():
    return _rnn_entry(_nn().LSTM)


@entry("gru")
def _():
    return _rnn_entry(_nn().GRU)


@entry("rnn_tanh")
def _():
    return _rnn_entry(_nn().RNN)


@entry("rnn_relu")
def _():
    return _rnn_entry(_nn().RNN, nonlinearity="relu")


# --------------------------------------------------------------------------- losses


def _loss_entry(loss_fn, target, out=5):
    import torch

    def data():
        x = torch.randn(6, 8)
        return x, target(x)

    return lambda device: train(device, lambda: _mlp(classes=out), data,
                                lambda m, x, y: loss_fn(m(x), y))


@entry("loss_cross_entropy_label_smoothing")
def _():
    import torch
    import torch.nn.functional as F

    return _loss_entry(lambda o, y: F.cross_entropy(o, y, label_smoothing=0.1),
                       lambda x: torch.randint(0, 5, (x.shape[0],)))


@entry("loss_bce_with_logits")
def _():
    import torch

    pos = torch.linspace(0.5, 2.0, 5)
    crit = torch.nn.BCEWithLogitsLoss(pos_weight=pos)
    return _loss_entry(lambda o, y: crit.to(o.device)(o, y),
                       lambda x: torch.randint(0, 2, (x.shape[0], 5)).float())


@entry("loss_mse")
def _():
    import torch
    import torch.nn.functional as F

    return _loss_entry(F.mse_loss, lambda x: torch.randn(x.shape[0], 5))


@entry("loss_l1")
def _():
    import torch
    import torch.nn.functional as F

    return _loss_entry(F.l1_loss, lambda x: torch.randn(x.shape[0], 5))


@entry("loss_smooth_l1")
def _():
    import torch
    import torch.nn.functional as F

    return _loss_entry(lambda o, y: F.smooth_l1_loss(o, y, beta=0.5),
                       lambda x: torch.randn(x.shape[0], 5))


@entry("loss_nll")
def _():
    import torch
    import torch.nn.functional as F

    w = torch.linspace(0.5, 1.5, 5)
    return _loss_entry(lambda o, y: F.nll_loss(F.log_softmax(o, 1), y, weight=w.to(o.device)),
                       lambda x: torch.randint(0, 5, (x.shape[0],)))


@entry("loss_kl_div")
def _():
    import torch
    import torch.nn.functional as F

    return _loss_entry(lambda o, y: F.kl_div(F.log_softmax(o, 1), y, reduction="batchmean"),
                       lambda x: torch.softmax(torch.randn(x.shape[0], 5), 1))


@entry("loss_ctc")
def _():
    import torch
    import torch.nn.functional as F

    T, N, C, S = 12, 3, 6, 4

    def data():
        return torch.randn(T, N, 8), torch.randint(1, C, (N, S))

    def loss(model, x, y):
        logp = F.log_softmax(model(x), 2)
        lens_in = torch.full((N,), T, dtype=torch.long)
        lens_out = torch.tensor([S, S - 1, 2][:N], dtype=torch.long)
        return F.ctc_loss(logp, y, lens_in, lens_out)

    return lambda device: train(device, lambda: _mlp(classes=C), data, loss)


# --------------------------------------------------------------------------- optimizers


def _opt_entry(cls, **kw):
    import torch

    def data():
        return torch.randn(8, 8), torch.randint(0, 5, (8,))

    return lambda device: train(device, _mlp, data,
                                opt_fn=lambda ps: cls(ps, **kw))


def _optim():
    import torch

    return torch.optim


for _name, _cls, _kw in [
    ("sgd_momentum", "SGD", dict(lr=0.1, momentum=0.9, weight_decay=1e-4, foreach=False)),
    ("sgd_momentum_foreach", "SGD", dict(lr=0.1, momentum=0.9, weight_decay=1e-4, foreach=True)),
    ("sgd_nesterov", "SGD", dict(lr=0.1, momentum=0.9, nesterov=True, foreach=False)),
    ("sgd_nesterov_foreach", "SGD", dict(lr=0.1, momentum=0.9, nesterov=True, foreach=True)),
    ("sgd_fused", "SGD", dict(lr=0.1, momentum=0.9, fused=True)),
    ("adam", "Adam", dict(lr=1e-2, foreach=False)),
    ("adam_foreach", "Adam", dict(lr=1e-2, foreach=True)),
    ("adam_fused", "Adam", dict(lr=1e-2, fused=True)),
    ("adam_default", "Adam", dict(lr=1e-2)),
    ("adam_amsgrad_foreach", "Adam", dict(lr=1e-2, amsgrad=True, foreach=True)),
    ("adamw", "AdamW", dict(lr=1e-2, weight_decay=0.05, foreach=False)),
    ("adamw_foreach", "AdamW", dict(lr=1e-2, weight_decay=0.05, foreach=True)),
    ("adamw_fused", "AdamW", dict(lr=1e-2, weight_decay=0.05, fused=True)),
    ("adagrad", "Adagrad", dict(lr=0.1, foreach=False)),
    ("adagrad_foreach", "Adagrad", dict(lr=0.1, foreach=True)),
    ("adagrad_fused", "Adagrad", dict(lr=0.1, fused=True)),
    ("rmsprop", "RMSprop", dict(lr=1e-2, momentum=0.5, foreach=False)),
    ("rmsprop_foreach", "RMSprop", dict(lr=1e-2, momentum=0.5, foreach=True)),
]:
    entry(f"optim_{_name}")(
        lambda cls=_cls, kw=_kw: _opt_entry(getattr(_optim(), cls), **kw))


# --------------------------------------------------------------------------- AMP


def _amp_entry(dtype_name, loss="mse"):
    """autocast(device) + GradScaler(device).  The MSE loss runs in float32 under both
    the CPU and the CUDA autocast lists (MLU autocast uses CUDA's, as torch_mlu does)."""
    import torch
    import torch.nn.functional as F

    def data():
        return torch.randn(8, 8), (torch.randn(8, 5) if loss == "mse" else torch.randint(0, 5, (8,)))

    fn = (lambda m, x, y: F.mse_loss(m(x), y)) if loss == "mse" else _ce
    return lambda device: train(device, lambda: _mlp(width=32), data, fn,
                                amp=getattr(torch, dtype_name),
                                opt_fn=lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9))


@entry("amp_bfloat16_gradscaler")
def _():
    return _amp_entry("bfloat16")


@entry("amp_float16_gradscaler")
def _():
    return _amp_entry("float16")


@entry("amp_bfloat16_cross_entropy")
def _():
    return _amp_entry("bfloat16", loss="ce")


# --------------------------------------------------------------------------- checkpoint


@entry("checkpoint_map_location")
def _():
    """Train 2 steps, torch.save, torch.load(map_location="cpu"), back to the device, 1 step."""
    import torch

    def run(device):
        def build():
            nn = _nn()
            return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                                 nn.Flatten(), nn.Linear(4 * 4 * 4, 5))

        def data():
            return torch.randn(4, 3, 6, 6), torch.randint(0, 5, (4,))

        def make_opt(ps):
            return torch.optim.Adam(ps, lr=1e-2)

        first = train(device, build, data, opt_fn=make_opt, steps=2)
        opt = make_opt(build().parameters())
        buf = io.BytesIO()
        torch.save({"model": first["state"], "optimizer": {"state": first["raw_optimizer"],
                    "param_groups": opt.state_dict()["param_groups"]}}, buf)
        buf.seek(0)
        ckpt = torch.load(buf, map_location="cpu", weights_only=True)
        on_cpu = [t.device.type for t in _tensors(ckpt)]
        same = all(torch.equal(a, b.cpu()) for a, b in
                   zip(_tensors(ckpt["model"]), _tensors(first["state"])))
        torch.manual_seed(SEED)
        fresh = build()
        fresh.load_state_dict(ckpt["model"])
        fresh.to(device)
        opt = make_opt(fresh.parameters())
        opt.load_state_dict(ckpt["optimizer"])
        state_devices = {t.device.type for t in _tensors(opt.state_dict()["state"])
                         if t.dim() > 0}
        torch.manual_seed(TRAIN_SEED + 1)
        x, y = data()
        x, y = x.to(device), y.to(device)
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(fresh(x), y)
        loss.backward()
        opt.step()
        return {"first": first, "loaded_on_cpu": sorted(set(on_cpu)) == ["cpu"],
                "loaded_equal_saved": same, "optimizer_state_device": sorted(state_devices),
                "loss": loss.detach(), "state": dict(fresh.state_dict()),
                "optimizer": _opt_state(opt)}

    return run


def _tensors(obj):
    import torch

    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _tensors(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _tensors(v)


# --------------------------------------------------------------------------- compare


def _devices_to_kind(obj):
    """Device-type strings differ by design ("cpu" vs "mlu"); keep them out of compare."""
    if isinstance(obj, dict):
        return {k: _devices_to_kind(v) for k, v in obj.items()
                if k not in ("optimizer_state_device", "raw_optimizer")}
    return obj


def run_entry(name: str) -> dict:
    """Train `name` on CPU and on MLU; compare everything."""
    fn = ENTRIES[name]()
    cpu = fn("cpu")
    mlu = fn("mlu")
    res = fidelity.compare(_devices_to_kind(cpu), _devices_to_kind(mlu), name).as_dict()
    losses = fidelity.compare(cpu.get("losses", cpu.get("loss")),
                              mlu.get("losses", mlu.get("loss")), "loss").as_dict()
    params = fidelity.compare(cpu["state"], mlu["state"], "state").as_dict()
    res["loss"] = losses["status"] if losses["status"] == "bitwise" else losses.get("max_abs")
    res["params"] = params["status"] if params["status"] == "bitwise" else params.get("max_abs")
    if "optimizer_state_device" in mlu:
        dev = mlu["optimizer_state_device"]
        if dev != ["mlu"]:
            res.update(status="mismatch", detail=f"optimizer state on {dev} after load_state_dict")
    if res["status"] == "mismatch":
        res["status"] = "differ"
    return res


def _child(items, progress_path) -> int:
    import faulthandler

    import torch

    import torch_mlu  # noqa: F401  (present under verify)

    faulthandler.enable()
    torch.set_num_threads(1)
    progress = fidelity.Progress(progress_path)
    for name in items:
        progress.start(name)
        try:
            res = run_entry(name)
        except Exception as exc:
            import traceback

            tb = traceback.extract_tb(exc.__traceback__)[-1]
            res = {"status": "error",
                   "error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                            f" ({Path(tb.filename).name}:{tb.lineno})"[:300]}
        progress.done(name, res)
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("names", nargs="*")
    p.add_argument("--items")
    p.add_argument("--progress")
    p.add_argument("--json")
    a = p.parse_args(argv)
    if a.items:
        return _child(json.loads(Path(a.items).read_text()), a.progress)
    names = a.names or list(ENTRIES)
    import os
    import tempfile

    progress = os.path.join(tempfile.mkdtemp(prefix="gpu2mlu-zoo-"), "progress.jsonl")
    code = _child(names, progress)
    results = {}
    for line in Path(progress).read_text().splitlines():
        rec = json.loads(line)
        if "item" in rec:
            results[rec["item"]] = rec["result"]
            r = rec["result"]
            print(f"{rec['item']:40} {r['status']:8} {r.get('max_abs', '')} {r.get('detail', '')}"
                  f"{r.get('error', '')}")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1, sort_keys=True))
    return code


if __name__ == "__main__":
    sys.exit(main())
