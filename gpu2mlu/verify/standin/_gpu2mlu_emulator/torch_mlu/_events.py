"""Child side of the verify event log, and "whose code is calling?".

Every process of the run (spawned ranks, DataLoader workers, torchrun
children) appends JSON lines to the file named by GPU2MLU_VERIFY_EVENTS; the
runner reads them back for the summary.  One short write per line keeps
concurrent appends from interleaving.
"""

from __future__ import annotations

import sys

# One event writer and one "is this the project's code?" for every process (beside sitecustomize).
from _gpu2mlu_process import EVENTS_ENV, is_user_file, record  # noqa: F401  (re-exported)
from _gpu2mlu_process import where as _where


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
    return "<unknown location>" if loc is None else _where(*loc)


def source_line(loc: tuple[str, int] | None) -> str:
    if loc is None:
        return ""
    import linecache

    return linecache.getline(loc[0], loc[1]).strip()
