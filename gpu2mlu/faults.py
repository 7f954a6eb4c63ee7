"""Fault points for the fault-injection tests (tests/safety/): named places in a run where a test
can make gpu2mlu stop as a kill, a full disk or a permission error would.

Off unless GPU2MLU_FAULT is set, as `STAGE[@N]:ACTION` (the N-th time STAGE is reached, default the
first): `pause` writes GPU2MLU_FAULT_MARK (a file path) and sleeps, so the test can send a signal
at that exact point; `enospc` and `eacces` raise the OSError a full disk or a read-only folder
would. Stages: walk, convert, write, backup, reports, swap, restore.
"""
from __future__ import annotations

import errno
import os
import time
from typing import Optional

_SPEC = os.environ.get("GPU2MLU_FAULT", "")
_counts: dict[str, int] = {}


def point(stage: str, path: Optional[str] = None) -> None:
    """Reached `stage` (working on `path`): do what GPU2MLU_FAULT says, if it names this stage."""
    if not _SPEC:
        return
    where, _, action = _SPEC.partition(":")
    name, _, nth = where.partition("@")
    if name != stage:
        return
    _counts[stage] = _counts.get(stage, 0) + 1
    if _counts[stage] != int(nth or 1):
        return
    if action == "pause":
        mark = os.environ.get("GPU2MLU_FAULT_MARK")
        if mark:
            with open(mark, "w") as f:
                f.write(f"{os.getpid()}\n")
        time.sleep(float(os.environ.get("GPU2MLU_FAULT_PAUSE", "60")))
    elif action in ("enospc", "eacces"):
        code = errno.ENOSPC if action == "enospc" else errno.EACCES
        raise OSError(code, os.strerror(code), path)
