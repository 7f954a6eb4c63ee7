"""Shared pieces of the fidelity measurements (the zoo and the OpInfo sweep).

- `compare(cpu, mlu)`: CPU result vs emulated-MLU result, recursively over
  tensors, sequences, dicts and plain values: "bitwise", "close" (within
  torch.testing's default tolerance for the dtype), "differ" or "mismatch"
  (different structure, dtype, shape or device), with the max abs/rel diff.
- `run_isolated(...)`: the parent side of a crash-proof run.  Items go to a
  child process under `gpu2mlu verify`; the child announces each item before
  running it, so when it dies (SIGSEGV, abort, timeout) the parent records a
  crash for that item and starts a new child with the items after it.
- `load_table()`: the checked-in tolerance table, tests/verify/fidelity.toml.

Importable without torch (the parent never imports it); `compare` imports it.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TABLE = HERE / "fidelity.toml"

# --------------------------------------------------------------------------- table


def load_table(path: Path = TABLE) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    return tomllib.loads(path.read_text(encoding="utf-8"))


def expectation(section: dict, key: str) -> dict:
    """What the table says about one entry: tolerance, reason, known gap.

    An entry missing from the table must be bitwise.  `tolerance` is either
    "bitwise" or the measured max abs diff the entry may show.
    """
    spec = dict(section.get(key, {}))
    spec.setdefault("tolerance", "bitwise")
    return spec


def within(result: dict, spec: dict) -> tuple[bool, str]:
    """Does a measured result meet the table's expectation?  (ok, why not)"""
    status = result.get("status")
    if status == "bitwise":
        return True, ""
    if status not in ("close", "differ"):
        return False, f"{status}: {result.get('error') or result.get('detail') or ''}".strip()
    tol = spec["tolerance"]
    diff = result.get("max_abs")
    diff = float(diff) if isinstance(diff, (int, float, str)) else math.inf  # "inf" from JSON
    if tol == "bitwise":
        return False, f"not bitwise: max abs diff {diff:.3g} ({result.get('detail', '')})"
    if not diff <= float(tol):
        return False, f"max abs diff {diff} above the documented {tol} ({result.get('detail', '')})"
    return True, ""


# --------------------------------------------------------------------------- compare

STATUS_ORDER = ["bitwise", "close", "differ", "mismatch"]


def _worse(a: str, b: str) -> str:
    return a if STATUS_ORDER.index(a) >= STATUS_ORDER.index(b) else b


class Diff:
    """Accumulates the comparison of many leaves."""

    def __init__(self):
        self.status = "bitwise"
        self.max_abs = 0.0
        self.max_rel = 0.0
        self.detail = ""
        self.leaves = 0

    def add(self, status: str, max_abs: float = 0.0, max_rel: float = 0.0, detail: str = ""):
        self.leaves += 1
        # keep the detail of the worst leaf: the worst status, then the largest diff
        rank, mine = STATUS_ORDER.index(status), STATUS_ORDER.index(self.status)
        if detail and (rank > mine or (rank == mine and max_abs > self.max_abs)):
            self.detail = detail
        self.status = _worse(self.status, status)
        self.max_abs = max(self.max_abs, max_abs)
        self.max_rel = max(self.max_rel, max_rel)

    def merge(self, other: "Diff", where: str = ""):
        if other.status != "bitwise":
            self.add(other.status, other.max_abs, other.max_rel,
                     (where + ": " if where else "") + other.detail)
        self.leaves += other.leaves

    def as_dict(self) -> dict:
        d = {"status": self.status}
        if self.status != "bitwise":
            d.update(max_abs=_num(self.max_abs), max_rel=_num(self.max_rel), detail=self.detail)
        return d


def _num(x: float):
    return x if math.isfinite(x) else str(x)  # JSON has no inf/nan


def _tolerance(dtype):
    import torch

    # torch.testing.assert_close's defaults
    return {
        torch.float16: (1e-3, 1e-5), torch.bfloat16: (1.6e-2, 1e-5),
        torch.float32: (1.3e-6, 1e-5), torch.float64: (1e-7, 1e-7),
        torch.complex32: (1e-3, 1e-5), torch.complex64: (1.3e-6, 1e-5),
        torch.complex128: (1e-7, 1e-7),
    }.get(dtype, (0.0, 0.0))


def compare_tensors(a, b, where: str = "", expect_mlu: bool = True) -> Diff:
    """a: the CPU result, b: the MLU result (expected on mlu unless `expect_mlu` is False)."""
    import torch

    d = Diff()
    if expect_mlu and b.device.type != "mlu" and a.device.type == "cpu":
        d.add("mismatch", math.inf, math.inf, f"{where} result on {b.device}, expected mlu")
        return d
    if a.dtype != b.dtype or a.shape != b.shape or a.layout != b.layout:
        d.add("mismatch", math.inf, math.inf,
              f"{where} {a.dtype}{tuple(a.shape)} {a.layout} vs {b.dtype}{tuple(b.shape)} {b.layout}")
        return d
    if a.layout != torch.strided:
        a, b = a.to_dense(), b.to_dense()
    b = b.detach().cpu()
    a = a.detach()
    a, b = a.resolve_conj().resolve_neg(), b.resolve_conj().resolve_neg()
    if a.dtype.is_complex:
        a, b = torch.view_as_real(a), torch.view_as_real(b)
    if a.numel() == 0:
        d.add("bitwise")
        return d
    if not a.dtype.is_floating_point:
        if torch.equal(a, b):
            d.add("bitwise")
        else:
            diff = (a.long() - b.long()).abs().max().item() if a.dtype != torch.bool else 1
            d.add("differ", float(diff), math.inf, f"{where} {a.dtype} values differ")
        return d
    nan_a, nan_b = torch.isnan(a), torch.isnan(b)
    same = ((a == b) & (torch.signbit(a) == torch.signbit(b))) | (nan_a & nan_b)
    if bool(same.all()):
        d.add("bitwise")
        return d
    a64, b64 = a.double(), b.double()
    both = torch.isfinite(a64) & torch.isfinite(b64)
    special_ok = bool(((a64 == b64) | (nan_a & nan_b) | both).all())
    diff = (a64 - b64).abs()
    diff = torch.where(both, diff, torch.zeros_like(diff))
    max_abs = diff.max().item()
    scale = torch.maximum(a64.abs(), b64.abs())
    rel = torch.where(scale > 0, diff / scale, torch.zeros_like(diff))
    max_rel = rel.max().item()
    if not special_ok:
        d.add("differ", math.inf, math.inf, f"{where} NaN/inf positions differ")
        return d
    rtol, atol = _tolerance(a.dtype)
    close = bool(torch.isclose(a64, b64, rtol=rtol, atol=atol, equal_nan=True).all())
    if max_abs == 0:  # only the sign of a zero differs
        d.add("close", 0.0, 0.0, f"{where} sign of zero differs")
    else:
        d.add("close" if close else "differ", max_abs, max_rel,
              f"{where} {a.dtype} max abs {max_abs:.3g}, rel {max_rel:.3g}")
    return d


def compare(a, b, where: str = "out", expect_mlu: bool = True) -> Diff:
    """Compare a CPU result with an MLU result of the same computation."""
    torch = sys.modules.get("torch")  # plain values compare without torch installed

    d = Diff()
    if torch is not None and isinstance(a, torch.Tensor):
        if not isinstance(b, torch.Tensor):
            d.add("mismatch", math.inf, math.inf, f"{where}: tensor vs {type(b).__name__}")
        else:
            d.merge(compare_tensors(a, b, where, expect_mlu))
        return d
    if isinstance(a, (list, tuple)):
        if not isinstance(b, (list, tuple)) or len(a) != len(b):
            d.add("mismatch", math.inf, math.inf, f"{where}: sequence structure differs")
            return d
        for i, (x, y) in enumerate(zip(a, b)):
            d.merge(compare(x, y, f"{where}[{i}]", expect_mlu))
        return d
    if isinstance(a, dict):
        if not isinstance(b, dict) or set(a) != set(b):
            d.add("mismatch", math.inf, math.inf, f"{where}: dict keys differ")
            return d
        for k in a:
            d.merge(compare(a[k], b[k], f"{where}[{k!r}]", expect_mlu))
        return d
    if isinstance(a, float) and isinstance(b, float):
        if a == b or (math.isnan(a) and math.isnan(b)):
            d.add("bitwise")
        else:
            diff = abs(a - b)
            d.add("differ" if not math.isclose(a, b, rel_tol=1.3e-6, abs_tol=1e-5) else "close",
                  diff, diff / max(abs(a), abs(b)), f"{where}: {a!r} vs {b!r}")
        return d
    if torch is not None and (isinstance(a, torch.device) or isinstance(b, torch.device)):
        d.add("bitwise")  # device results differ by design
        return d
    try:
        same = bool(a == b)
    except Exception:
        same = repr(a) == repr(b)
    d.add("bitwise" if same else "mismatch", 0.0 if same else math.inf, 0.0 if same else math.inf,
          "" if same else f"{where}: {a!r:.60} vs {b!r:.60}")
    return d


# --------------------------------------------------------------------------- child side


class Progress:
    """The child's half of run_isolated: announce each item, then its result."""

    def __init__(self, path: str):
        self.f = open(path, "a", encoding="utf-8")

    def _write(self, rec: dict):
        self.f.write(json.dumps(rec, default=str) + "\n")
        self.f.flush()

    def start(self, item: str):
        self._write({"start": item})

    def done(self, item: str, result: dict):
        self._write({"item": item, "result": result})


# --------------------------------------------------------------------------- parent side


def verify_env(lib=None, api=None, workdir: Path | None = None, devices: int = 2) -> dict:
    """The environment `gpu2mlu verify` gives its command (building the library if needed)."""
    sys.path.insert(0, str(REPO))
    from gpu2mlu.verify import api_surface, build, runner

    if lib is None:
        lib, _ = build.ensure_built()
    if api is None:
        api = Path(workdir or tempfile.mkdtemp(prefix="gpu2mlu-fidelity-")) / "mlu_api.json"
        api_surface.write(api)
    log = Path(os.path.dirname(api)) / "events.jsonl"
    log.touch()
    env = dict(os.environ)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + path if path else "")
    config = runner.VerifyConfig(("python",), devices=devices, env=env)
    return runner.child_env(config, lib, api, log)


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _crash_lines(stderr: str) -> list[str]:
    """faulthandler's report (the fault and the innermost frames), else the last lines."""
    lines = stderr.strip().splitlines()
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("Fatal Python error"):
            stack = [ln.strip() for ln in lines[i + 1:] if ln.strip().startswith("File ")]
            return [lines[i]] + stack[:2]
    return lines[-3:]


def run_isolated(argv: list[str], items: list[str], env: dict, workdir: Path,
                 timeout: float = 600, item_timeout: float | None = None,
                 log=None) -> dict[str, dict]:
    """Run `argv --items FILE --progress FILE` over `items`, surviving crashes.

    Returns item -> result.  An item whose child died records
    {"status": "crash", "error": "killed by SIGSEGV ..."}; the remaining
    items run in a new child.  `timeout` bounds one child; `item_timeout`
    (if given) bounds a single item by watching the progress file.
    """
    results: dict[str, dict] = {}
    todo = list(items)
    round_no = 0
    while todo:
        round_no += 1
        items_file = workdir / f"items-{round_no}.json"
        progress = workdir / f"progress-{round_no}.jsonl"
        items_file.write_text(json.dumps(todo))
        progress.write_text("")
        err_path = workdir / f"stderr-{round_no}.txt"
        with open(err_path, "w") as err:
            proc = subprocess.Popen([*argv, "--items", str(items_file), "--progress", str(progress)],
                                    env=env, stdout=subprocess.DEVNULL, stderr=err,
                                    start_new_session=True)
            started = time.monotonic()
            last_size, last_change = 0, started
            timed_out = False
            while proc.poll() is None:
                time.sleep(0.2)
                now = time.monotonic()
                size = progress.stat().st_size
                if size != last_size:
                    last_size, last_change = size, now
                if now - started > timeout or (item_timeout and now - last_change > item_timeout):
                    timed_out = True
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        current = None
        for line in progress.read_text().splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if "start" in rec:
                current = rec["start"]
            else:
                results[rec["item"]] = rec["result"]
                current = None
        done_upto = 0
        for i, it in enumerate(todo):
            if it in results or it == current:
                done_upto = i + 1
        if proc.returncode == 0 and not timed_out:
            missing = [it for it in todo if it not in results]
            for it in missing:  # the child skipped them: should not happen
                results[it] = {"status": "error", "error": "the child never ran this item"}
            break
        tail = _crash_lines(err_path.read_text(errors="replace"))
        why = "timeout" if timed_out else _describe_exit(proc.returncode)
        if current is None:
            # died outside any item (start-up, or exit): blame the next item, once
            nxt = next((it for it in todo if it not in results), None)
            if nxt is None:
                break
            current = nxt
            done_upto = todo.index(nxt) + 1
        results[current] = {"status": "timeout" if timed_out else "crash",
                            "error": f"{why}; stderr: " + " | ".join(tail)[-300:]}
        if log:
            log(f"  {current}: {why}")
        todo = [it for it in todo[done_upto:] if it not in results]
    return results
