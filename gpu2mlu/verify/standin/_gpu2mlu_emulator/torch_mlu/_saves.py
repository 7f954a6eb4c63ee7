"""Record every file torch.save writes, so `verify --compare` can pair the checkpoints of two runs.

After a successful save: record("saved", path=absolute path), or path=None for a file object
without a file name (BytesIO, a socket).  A file object opened on a path records that path: the
comparison reads it after the whole run, when it has long been closed.
"""

from __future__ import annotations

import functools
import os

import torch

from ._events import record


def _path_of(f) -> str | None:
    if isinstance(f, (str, bytes, os.PathLike)):
        return os.path.abspath(os.fsdecode(f))
    name = getattr(f, "name", None)
    if isinstance(name, str) and os.path.isfile(name):
        return os.path.abspath(name)
    return None


def install() -> None:
    original = torch.serialization.save
    if getattr(original, "_gpu2mlu_records_saves", False):
        return

    @functools.wraps(original)
    def save(obj, f, *args, **kwargs):
        result = original(obj, f, *args, **kwargs)
        record("saved", path=_path_of(f))
        return result

    save._gpu2mlu_records_saves = True
    torch.serialization.save = save
    torch.save = save
