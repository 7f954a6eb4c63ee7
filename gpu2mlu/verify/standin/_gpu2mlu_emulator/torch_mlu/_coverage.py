"""Python side of the op-coverage model (csrc/coverage.cpp).

The runner puts the line's MLU kernel list and the dtypes the device computes differently into
the API file (GPU2MLU_VERIFY_API, key "coverage").  The C++ side decides per op; on an op's first
CPU fallback (or a watched dtype's first use) it calls back here, while the project's frames are
still on the stack, and we record where the project called it.
"""

from __future__ import annotations

import json
import os
import sys
import threading

import torch

from . import _events
from ._surface import API_ENV

_dtypes: dict[int, dict] = {}
_line = "?"
_library = None  # keeps our kernel registered
# the whole stand-in folder: this package and the run layer (_gpu2mlu_migration) wrap calls
_STANDIN = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def install() -> None:
    global _library, _line
    path = os.environ.get(API_ENV)
    if not path:
        return
    with open(path, encoding="utf-8") as f:
        cov = json.load(f).get("coverage")
    if not cov:
        return
    _line = cov.get("line", "?")
    _dtypes.update({int(d["code"]): d for d in cov.get("dtypes", [])})
    _library = torch.library.Library("mlu_emu", "IMPL")
    _library.impl("report_event", _on_event, "CPU")
    torch.ops.mlu_emu.set_coverage("\n".join(cov["kernels"]), sorted(_dtypes))


def _call_site():
    """The innermost project frame calling the op.

    Ops of a backward pass run on autograd's device thread, which has no Python frames: the
    project's call is then the one the main thread is blocked in (loss.backward()).
    """
    loc = _events.nearest_user_frame(2)
    if loc is not None:
        return loc
    frame = sys._current_frames().get(threading.main_thread().ident)
    while frame is not None:
        if _events.is_user_file(frame.f_code.co_filename):
            return frame.f_code.co_filename, frame.f_lineno
        frame = frame.f_back
    return None


# torch's thin wrappers over the project's tensors: an op they run is the project's call.
_WRAPPERS = tuple(os.path.join(os.path.dirname(torch.__file__), p)
                  for p in ("nn" + os.sep, "functional.py", "_tensor.py"))


def _called_by_project() -> bool:
    """Whether the project made this call: the innermost Python frame below ours is its code
    or an nn/functional wrapper, not torch machinery (GradScaler's float64 reciprocal, say)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_STANDIN):
        frame = frame.f_back
    if frame is None:
        return False
    name = frame.f_code.co_filename
    return _events.is_user_file(name) or name.startswith(_WRAPPERS)


def _on_event(kind: str, what: str, message: str) -> bool:
    """Record an event from csrc/coverage.cpp; False declines it (C++ keeps watching)."""
    if kind == "dtype" and not _called_by_project():
        return False
    loc = _call_site()
    fields = {"where": _events.where(loc), "line": _events.source_line(loc),
              "torch_mlu_line": _line}
    if kind == "cpu-fallback":
        _events.record("cpu-fallback", api=what, message=message, **fields)
        return True
    d = _dtypes.get(int(what)) if kind == "dtype" else None
    if d is None:
        return False
    _events.record("dtype", api=d["dtype"], message=(
        f"{d['dtype']} on the MLU: real torch_mlu computes it as {d['computed_as']} "
        f"({d['source']}), so its results differ from this run's"), **fields)
    return True


def fallback_calls() -> dict[str, int]:
    """Calls per CPU-fallback op in this process (for the "process" record)."""
    if _library is None:
        return {}
    counts = {}
    for row in str(torch.ops.mlu_emu.fallback_counts()).splitlines():
        name, _, n = row.partition("\t")
        counts[name] = int(n)
    return counts
