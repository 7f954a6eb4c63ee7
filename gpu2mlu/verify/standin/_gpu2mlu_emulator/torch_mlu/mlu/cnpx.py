"""torch.mlu.cnpx (the NVTX counterpart): markers are accepted and ignored."""

from __future__ import annotations

import contextlib

__all__ = ["range_push", "range_pop", "range_start", "range_end", "mark", "range"]


def range_push(msg: str) -> int:
    return 0


def range_pop() -> int:
    return 0


def range_start(msg: str) -> int:
    return 0


def range_end(range_id: int) -> None:
    pass


def mark(msg: str) -> None:
    pass


@contextlib.contextmanager
def range(msg: str, *args, **kwargs):
    yield
