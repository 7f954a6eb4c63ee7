"""PyTorch's OpInfo database, CPU vs the emulated MLU, op by op.

For every op in `torch.testing._internal.common_methods_invocations.op_db`
and every dtype asked for (float32, float16, bfloat16): if the op supports
the dtype on CPU, each of its sample inputs runs on CPU and, copied with
`.to("mlu")` (kwargs tensors too), on the emulated MLU; outputs are compared
(`fidelity.compare`: bitwise, else max abs/rel diff).  Where the op supports
autograd in that dtype, the gradients w.r.t. every input that requires grad
are compared as well (same cotangents on both sides).

Run it as a script (it starts its own children under `gpu2mlu verify`):

    python tests/verify/opinfo_sweep.py [--dtypes float32,float16,bfloat16] [--ops a,b]
        [--subset] [--jobs N] [--json OUT.json] [--markdown docs/fidelity.md]

Each child runs a list of (op, dtype) items and announces each one before it
runs it; a child that crashes (an emulator SIGSEGV) costs only the item it
was on, which is recorded as a crash, and a new child takes the rest.
`--child` is the child's mode (it must run under verify).
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import math
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fidelity  # noqa: E402

DTYPES = ("float32", "float16", "bfloat16")

# Ops whose results are uninitialised memory: only dtype and shape are compared.
UNINITIALIZED = {"empty", "empty_like", "new_empty", "new_empty_strided", "empty_strided",
                 "empty_permuted"}

# A fixed, representative subset for the test suite (float32, forward and
# backward): elementwise, reductions, linear algebra, convolution and pooling,
# norms, attention, losses, indexing and views, random ops, the optimizer
# kernels' building blocks, and the known crashers and diffs.
SUBSET = [
    "abs", "add", "mul", "div.no_rounding_mode", "pow", "exp", "log", "sqrt", "rsqrt", "sigmoid",
    "tanh", "clamp", "where", "lerp", "addcmul", "addcdiv",
    "sum", "mean", "var", "std", "amax", "argmax", "cumsum", "logsumexp", "norm", "sort", "topk",
    "mm", "bmm", "matmul", "addmm", "einsum", "linalg.vector_norm", "linalg.solve",
    "nn.functional.linear", "nn.functional.conv2d", "nn.functional.conv_transpose2d",
    "nn.functional.max_pool2d", "nn.functional.avg_pool2d", "nn.functional.interpolate.bilinear",
    "nn.functional.batch_norm", "nn.functional.layer_norm", "nn.functional.group_norm",
    "nn.functional.instance_norm", "nn.functional.rms_norm",
    "nn.functional.scaled_dot_product_attention", "softmax", "log_softmax",
    "nn.functional.gelu", "nn.functional.silu", "nn.functional.embedding",
    "nn.functional.cross_entropy", "nn.functional.binary_cross_entropy_with_logits",
    "nn.functional.mse_loss", "nn.functional.ctc_loss", "nn.functional.dropout",
    "index_select", "index_put", "scatter_add", "gather", "cat", "as_strided",
    "as_strided.partial_views", "nonzero", "bernoulli", "randn_like",
    "fft.fft", "fft.hfft", "fft.ihfft", "to_sparse",
]


def op_key(op) -> str:
    return op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")


def item_id(key: str, dtype: str) -> str:
    return f"{key}|{dtype}"


# --------------------------------------------------------------------------- child


def _child(items: list[str], progress_path: str) -> int:
    import torch
    from torch.testing._internal.common_methods_invocations import op_db

    import torch_mlu  # noqa: F401  (present under verify)

    faulthandler.enable()  # a crash prints its Python stack: the parent keeps it
    torch.set_num_threads(1)
    ops = {op_key(op): op for op in op_db}
    progress = fidelity.Progress(progress_path)
    for item in items:
        progress.start(item)
        key, dtype = item.split("|")
        t0 = time.perf_counter()
        try:
            res = sweep_op(ops[key], getattr(torch, dtype))
        except Exception as exc:  # a bug of the sweep itself, or sample generation
            res = {"status": "error", "error": f"sweep: {type(exc).__name__}: {exc}"[:300]}
        res["seconds"] = round(time.perf_counter() - t0, 3)
        progress.done(item, res)
    return 0


# Ops whose samples hold CPU tensors on purpose (outside the input): those stay on CPU.
CPU_ARGS = {
    "tensor_split": "tensor_indices_or_sections must be a CPU tensor (as on CUDA)",
}


def _to(obj, device: str, keep_cpu_args: bool = False, top: bool = True):
    """A copy of a sample (input, args, kwargs) on `device`, grads detached.

    A CPU device given as an argument (`x.to("cpu")`, `arange(..., device="cpu")`)
    becomes `device` too: the MLU run is the same call with "cpu" replaced by "mlu".
    """
    import torch

    if isinstance(obj, torch.Tensor):
        if keep_cpu_args and not top:
            return obj.detach().clone().requires_grad_(obj.requires_grad)
        t = obj.detach().to(device, copy=True)
        return t.requires_grad_(obj.requires_grad) if obj.requires_grad else t
    if isinstance(obj, torch.device) or (isinstance(obj, str) and obj == "cpu"):
        return torch.device(device) if isinstance(obj, torch.device) else device
    if isinstance(obj, list):
        return [_to(x, device, keep_cpu_args, False) for x in obj]
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_to(x, device, keep_cpu_args, False) for x in obj)
    if isinstance(obj, dict):
        return {k: _to(v, device, keep_cpu_args, False) for k, v in obj.items()}
    return obj


def _on_device(sample) -> bool:
    """Does the MLU copy of a sample name the MLU at all?  (else its results stay on CPU)"""
    import torch

    def walk(o):
        if isinstance(o, torch.Tensor):
            return o.device.type == "mlu"
        if isinstance(o, torch.device) or (isinstance(o, str) and o == "mlu"):
            return True
        if isinstance(o, (list, tuple)):
            return any(walk(x) for x in o)
        if isinstance(o, dict):
            return any(walk(x) for x in o.values())
        return False

    return walk(list(sample[:3]))


def _leaves(obj):
    import torch

    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for x in obj:
            yield from _leaves(x)
    elif isinstance(obj, dict):
        for x in obj.values():
            yield from _leaves(x)


def _first_line(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {msg[0] if msg else ''}"[:240]


def _call(op, sample, seed: int, mlu: bool):
    import torch

    torch.manual_seed(seed)
    if mlu:
        torch.mlu.manual_seed(seed)
    out = op(sample[0], *sample[1], **sample[2])
    return sample[3](out) if sample[3] is not None else out


def sweep_op(op, dtype) -> dict:
    """Every sample of `op` in `dtype`: CPU vs MLU, forward and backward."""
    import torch

    if dtype not in op.supported_dtypes("cpu"):
        return {"status": "unsupported"}
    grad = bool(op.supports_autograd) and dtype in op.supported_backward_dtypes("cpu")
    torch.manual_seed(0)
    samples = list(op.sample_inputs("cpu", dtype, requires_grad=grad))
    fwd, bwd = fidelity.Diff(), fidelity.Diff()
    errors: list[str] = []
    n_run = n_skip = 0
    for i, s in enumerate(samples):
        pristine = (s.input, s.args, s.kwargs, s.output_process_fn_grad)
        keep = op.name in CPU_ARGS
        cpu = (_to(s.input, "cpu"), _to(s.args, "cpu"), _to(s.kwargs, "cpu"), pristine[3])
        dev = (_to(s.input, "mlu"), _to(s.args, "mlu", keep, False),
               _to(s.kwargs, "mlu", keep, False), pristine[3])
        try:
            out_c = _call(op, cpu, 1000 + i, mlu=False)
        except Exception as exc:
            try:
                _call(op, dev, 1000 + i, mlu=True)
            except Exception:
                n_skip += 1  # both refuse this sample: same behaviour
                continue
            fwd.add("mismatch", math.inf, math.inf,
                    f"sample {i}: MLU ran what CPU refused ({_first_line(exc)})")
            continue
        try:
            out_m = _call(op, dev, 1000 + i, mlu=True)
        except Exception as exc:
            errors.append(f"sample {i}: {_first_line(exc)}")
            continue
        n_run += 1
        if op.name in UNINITIALIZED:
            out_c = [(t.dtype, tuple(t.shape)) for t in _leaves(out_c)]
            out_m = [(t.dtype, tuple(t.shape)) for t in _leaves(out_m)]
        d = fidelity.compare(out_c, out_m, f"sample {i}", expect_mlu=_on_device(dev))
        fwd.merge(d)
        if grad and op.name not in UNINITIALIZED:
            try:
                gd = _backward(cpu, dev, out_c, out_m, i)
            except Exception as exc:
                errors.append(f"sample {i} backward: {_first_line(exc)}")
                continue
            if gd is not None:
                bwd.merge(gd)
    res = {"samples": len(samples), "ran": n_run, "skipped": n_skip}
    res["fwd"] = fwd.as_dict()
    if grad:
        res["bwd"] = bwd.as_dict()
    if errors:
        res["status"] = "error"
        res["error"] = errors[0]
        res["errors"] = len(errors)
    elif n_run == 0 and fwd.status == "bitwise":
        res["status"] = "unsupported"  # CPU (and MLU) refuse every sample, e.g. CUDA-only ops
        res["note"] = f"CPU refuses all {len(samples)} samples"
    else:
        worst = fidelity._worse(fwd.status, bwd.status)
        res["status"] = "differ" if worst == "mismatch" else worst
        if worst != "bitwise":
            res["max_abs"] = fidelity._num(max(fwd.max_abs, bwd.max_abs))
            res["max_rel"] = fidelity._num(max(fwd.max_rel, bwd.max_rel))
            res["detail"] = ("fwd " + fwd.detail) if fwd.status != "bitwise" else ("bwd " + bwd.detail)
    return res


def _backward(cpu, dev, out_c, out_m, i):
    import torch

    pairs = [(c, m) for c, m in zip(_leaves(out_c), _leaves(out_m))
             if c.requires_grad and (c.dtype.is_floating_point or c.dtype.is_complex)]
    ins = [(c, m) for c, m in zip(_leaves(cpu[:3]), _leaves(dev[:3])) if c.requires_grad]
    if not pairs or not ins:
        return None
    torch.manual_seed(5000 + i)
    cots = [torch.randn(c.shape, dtype=c.dtype) for c, _ in pairs]
    g_c = torch.autograd.grad([c for c, _ in pairs], [c for c, _ in ins], cots, allow_unused=True)
    g_m = torch.autograd.grad([m for _, m in pairs], [m for _, m in ins],
                              [t.to(m.device) for t, (_, m) in zip(cots, pairs)],
                              allow_unused=True)
    return fidelity.compare(list(g_c), list(g_m), f"sample {i} grad")


# --------------------------------------------------------------------------- parent


def all_ops() -> list[str]:
    from torch.testing._internal.common_methods_invocations import op_db

    return [op_key(op) for op in op_db]


def sweep(ops: list[str], dtypes, jobs: int = 1, log=print, item_timeout: float = 300,
          lib=None, api=None) -> dict[str, dict]:
    """Run the items in children under verify; returns item id -> result."""
    items = [item_id(k, d) for d in dtypes for k in ops]
    workdir = Path(tempfile.mkdtemp(prefix="gpu2mlu-opinfo-"))
    env = fidelity.verify_env(lib, api, workdir)
    argv = [sys.executable, str(Path(__file__).resolve()), "--child"]
    jobs = max(1, min(jobs, len(items)))
    shares = [items[j::jobs] for j in range(jobs)]
    results: dict[str, dict] = {}

    def work(j):
        sub = workdir / f"job{j}"
        sub.mkdir()
        results.update(fidelity.run_isolated(argv, shares[j], env, sub, timeout=24 * 3600,
                                             item_timeout=item_timeout, log=log))

    threads = [threading.Thread(target=work, args=(j,)) for j in range(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


CATEGORIES = ("bitwise", "close", "differ", "error", "crash", "unsupported")


def category(res: dict) -> str:
    s = res.get("status")
    return "crash" if s in ("crash", "timeout") else s if s in CATEGORIES else "error"


def summary(results: dict[str, dict], dtype: str) -> dict[str, int]:
    counts = dict.fromkeys(CATEGORIES, 0)
    for item, res in results.items():
        if item.endswith("|" + dtype):
            counts[category(res)] += 1
    return counts


def _cell(res: dict | None) -> str:
    if res is None:
        return ""
    cat = category(res)
    if cat == "bitwise":
        return "bitwise"
    if cat == "unsupported":
        return "—"
    if cat in ("close", "differ"):
        where = []
        for part in ("fwd", "bwd"):
            if res.get(part, {}).get("status", "bitwise") != "bitwise":
                where.append(part)
        diff = res.get("max_abs")
        diff = f"{diff:.3g}" if isinstance(diff, (int, float)) else str(diff)
        return f"{cat} {diff} ({'+'.join(where)})"
    return f"**{cat}**"


def markdown(results: dict[str, dict], dtypes, seconds: dict[str, float] | None = None,
             torch_version: str = "") -> str:
    ops = sorted({item.split("|")[0] for item in results})
    lines = ["# Fidelity of the emulated MLU: PyTorch's OpInfo database, CPU vs mlu", "",
             "Generated by `python benchmarks/opinfo_sweep.py` (tests/verify/opinfo_sweep.py); "
             "do not edit by hand.", ""]
    lines += [
        f"Every op of `torch.testing._internal.common_methods_invocations.op_db` (torch "
        f"{torch_version}), every sample input, run on CPU and, copied with `.to(\"mlu\")`, on "
        "the emulated MLU under `gpu2mlu verify`; outputs and (where the op supports autograd "
        "in the dtype) gradients w.r.t. every input compared.", "",
        "- **bitwise**: every output and gradient of every sample has the same bits (NaN at the "
        "same places; the sign of zero counts).",
        "- **close** *d*: not bitwise but within torch.testing's default tolerance for the dtype; "
        "*d* is the max abs diff, (fwd) and/or (bwd) says where.",
        "- **differ** *d*: beyond that tolerance, or a different dtype, shape or device of a "
        "result (d = inf).",
        "- **error**: MLU raised where CPU ran (first message below).",
        "- **crash**: the process running the op died (signal below).",
        "- —: the op does not support the dtype on CPU (not run).", "",
        "Why each op is not bitwise, the tolerance it is held to and the known gaps: "
        "tests/verify/fidelity.toml. Run-to-run noise: `linalg.lstsq` is not repeatable on CPU "
        "itself (MKL), so it shows up as close in some runs.", "",
        "## Summary", "",
        "| dtype | ops | bitwise | close | differ | error | crash | unsupported on CPU | time |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for d in dtypes:
        c = summary(results, d)
        secs = (seconds or {}).get(d)
        lines.append(f"| {d} | {sum(c.values())} | " + " | ".join(str(c[k]) for k in CATEGORIES)
                     + f" | {f'{secs/60:.1f} min' if secs else ''} |")
    lines += ["", "## Not bitwise", "",
              "| op | " + " | ".join(dtypes) + " |", "| --- |" + " --- |" * len(dtypes)]
    for op in ops:
        cells = [_cell(results.get(item_id(op, d))) for d in dtypes]
        if all(c in ("bitwise", "—", "") for c in cells):
            continue
        lines.append(f"| `{op}` | " + " | ".join(cells) + " |")
    lines += ["", "## Errors and crashes", ""]
    for op in ops:
        for d in dtypes:
            res = results.get(item_id(op, d))
            if res and category(res) in ("error", "crash"):
                lines.append(f"- `{op}` {d}: {res.get('error', '')}".replace("|", "\\|"))
    lines += ["", "## Largest differences", "",
              "| op | dtype | max abs | max rel | first leaf of the worst kind |",
              "| --- | --- | ---: | ---: | --- |"]
    diffs = [(item, r) for item, r in results.items() if category(r) in ("close", "differ")]
    diffs.sort(key=lambda x: -_finite(x[1].get("max_abs")))
    for item, r in diffs:
        op, d = item.split("|")
        lines.append(f"| `{op}` | {d} | {_fmt(r.get('max_abs'))} | {_fmt(r.get('max_rel'))} | "
                     f"{r.get('detail', '')} |".replace("\n", " "))
    lines += ["", "## All ops", "", "| op | " + " | ".join(dtypes) + " |",
              "| --- |" + " --- |" * len(dtypes)]
    for op in ops:
        lines.append(f"| `{op}` | " + " | ".join(_cell(results.get(item_id(op, d)))
                                              for d in dtypes) + " |")
    return "\n".join(lines) + "\n"


def _finite(x) -> float:
    return x if isinstance(x, (int, float)) else math.inf


def _fmt(x) -> str:
    return f"{x:.3g}" if isinstance(x, (int, float)) else str(x)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--child", action="store_true")
    p.add_argument("--items")
    p.add_argument("--progress")
    p.add_argument("--dtypes", default="float32")
    p.add_argument("--ops", help="comma-separated op keys (default: all)")
    p.add_argument("--subset", action="store_true", help="the fixed test subset")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--item-timeout", type=float, default=300)
    p.add_argument("--json")
    p.add_argument("--markdown")
    a = p.parse_args(argv)
    if a.child:
        return _child(json.loads(Path(a.items).read_text()), a.progress)
    dtypes = a.dtypes.split(",")
    ops = a.ops.split(",") if a.ops else SUBSET if a.subset else all_ops()
    seconds = {}
    results: dict[str, dict] = {}
    for d in dtypes:
        t0 = time.perf_counter()
        results.update(sweep(ops, [d], a.jobs, item_timeout=a.item_timeout,
                             log=lambda m: print(m, file=sys.stderr, flush=True)))
        seconds[d] = time.perf_counter() - t0
        c = summary(results, d)
        print(f"{d}: " + ", ".join(f"{v} {k}" for k, v in c.items())
              + f" ({seconds[d]:.0f} s)", flush=True)
    import torch

    if a.json:
        Path(a.json).write_text(json.dumps({"torch": torch.__version__, "seconds": seconds,
                                            "results": results}, indent=0, sort_keys=True))
    if a.markdown:
        Path(a.markdown).write_text(markdown(results, dtypes, seconds, torch.__version__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
