"""Child side of the verify event log, and "whose code is calling?".

Every process of the run (spawned ranks, DataLoader workers, torchrun
children) appends JSON lines to the file named by GPU2MLU_VERIFY_EVENTS; the
runner reads them back for the summary.  One short write per line keeps
concurrent appends from interleaving.
"""

from __future__ import annotations

import json
import os
import sys

from _gpu2mlu_process import is_user_file  # noqa: F401  (beside sitecustomize; re-exported)

EVENTS_ENV = "GPU2MLU_VERIFY_EVENTS"


def immediate_caller(depth: int) -> tuple[str, int] | None:
    """(file, line) of the frame `depth` levels up if it is user code, else None."""
    frame = sys._getframe(depth + 1)
    code = frame.f_code
    if is_user_file(code.co_filename):
        return code.co_filename, frame.f_lineno
    return None


def nearest_user_frame(depth: int) -> tuple[str, int] | None:
    """The innermost user-code frame on the stack above `depth`."""
    frame = sys._getframe(depth + 1)
    while frame is not None:
        if is_user_file(frame.f_code.co_filename):
            return frame.f_code.co_filename, frame.f_lineno
        frame = frame.f_back
    return None


def where(loc: tuple[str, int] | None) -> str:
    if loc is None:
        return "<unknown location>"
    path, line = loc
    try:
        rel = os.path.relpath(path)
        path = rel if not rel.startswith("..") else path
    except ValueError:
        pass
    return f"{path}:{line}"


def source_line(loc: tuple[str, int] | None) -> str:
    if loc is None:
        return ""
    import linecache

    return linecache.getline(loc[0], loc[1]).strip()


def record(kind: str, **fields) -> None:
    path = os.environ.get(EVENTS_ENV)
    if not path:
        return
    fields = {"kind": kind, "pid": os.getpid(), **fields}
    line = json.dumps(fields, sort_keys=True) + "\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    except OSError:
        pass  # a missing log must never break the user's program
