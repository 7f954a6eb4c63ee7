"""torch.mlu.profiler: start/stop hooks of the device profiler (no-ops here)."""

from __future__ import annotations

import contextlib

__all__ = ["init", "start", "stop", "profile"]


def init(*args, **kwargs) -> None:
    pass


def start() -> None:
    pass


def stop() -> None:
    pass


@contextlib.contextmanager
def profile():
    yield
