"""torch.distributed answers as the converted code would see them.

Backends ('nccl' -> 'cncl', "cuda:nccl" specs) are mapped where groups are made (runtime.toml).
dist.get_backend() of a cncl group answers "nccl" to code outside torch, so an unconverted
`if dist.get_backend() == 'nccl':` takes the branch the converted `== 'cncl'` takes.
"""

from __future__ import annotations

import functools
import sys

from . import sites, table

RULE = "distributed"


def _backend_names() -> dict[str, str]:
    """MLU backend name -> the CUDA name it replaces (literals.toml [backend])."""
    return {mlu: cuda for cuda, mlu in table.data().get("backends", {}).items()}


def _wrap_get_backend(dist) -> None:
    original = dist.get_backend
    shown_as = _backend_names()

    @functools.wraps(original)
    def get_backend(*args, **kwargs):
        result = original(*args, **kwargs)
        cuda = shown_as.get(str(result))
        if cuda is None:
            return result
        frame, (kind, package, hidden) = sites.caller(sys._getframe(1))
        if kind != sites.CODE or hidden:
            return result
        sites.note(sites.at(frame, package, hidden), "mapped", "torch.distributed.get_backend()",
                   f"torch.distributed.get_backend() ({str(result)!r}, shown as {cuda!r})", RULE)
        return cuda

    dist.get_backend = get_backend
    dist.distributed_c10d.get_backend = get_backend


def install() -> None:
    import torch

    if torch.distributed.is_available():
        _wrap_get_backend(torch.distributed)
