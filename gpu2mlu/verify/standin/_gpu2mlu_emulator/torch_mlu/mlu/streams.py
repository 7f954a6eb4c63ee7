"""torch.mlu streams and events: PyTorch's generic Stream/Event on the MLU device.

The emulator's guard runs everything synchronously, so streams are ids and
events are host timestamps (elapsed_time works).
"""

from __future__ import annotations

import time

import torch

__all__ = ["Stream", "Event", "ExternalStream", "StreamContext", "stream",
           "current_stream", "default_stream", "set_stream"]


def _device(device):
    if device is None:
        return torch.device("mlu", torch.ops.mlu_emu.current_device())
    if isinstance(device, int):
        return torch.device("mlu", device)
    d = torch.device(device)
    return torch.device("mlu", torch.ops.mlu_emu.current_device()) if d.index is None else d


class Stream(torch.Stream):
    def __new__(cls, device=None, priority: int = 0, **kwargs):
        return super().__new__(cls, device=_device(device), priority=priority)

    @property
    def mlu_stream(self) -> int:
        return self.stream_id


class ExternalStream(Stream):
    def __new__(cls, stream_ptr, device=None, **kwargs):
        return super().__new__(cls, device=device)


class Event(torch.Event):
    def __new__(cls, enable_timing: bool = False, blocking: bool = False,
                interprocess: bool = False, **kwargs):
        if blocking:
            raise ValueError("torch.mlu.Event(blocking=True) is not supported on MLU")
        return super().__new__(cls, device=_device(None), enable_timing=enable_timing,
                               interprocess=interprocess)

    # torch.Event.elapsed_time only accepts the exact base type, so time here:
    # the emulator is synchronous, so the host clock at record() is exact.
    def record(self, stream=None) -> None:
        super().record(stream)
        self._host_ms = time.perf_counter() * 1000.0

    def elapsed_time(self, end_event) -> float:
        if getattr(self, "_host_ms", None) is None or getattr(end_event, "_host_ms", None) is None:
            raise RuntimeError("Both events must be recorded before calculating elapsed time.")
        return end_event._host_ms - self._host_ms

    def hardware_time(self) -> float:
        return getattr(self, "_host_ms", 0.0) * 1000.0


def current_stream(device=None) -> torch.Stream:
    return torch.accelerator.current_stream(_device(device))


def default_stream(device=None) -> torch.Stream:
    # Work is synchronous, so the current stream is as good as the default one.
    return torch.accelerator.current_stream(_device(device))


def set_stream(stream) -> None:
    if stream is not None:
        torch.accelerator.set_stream(stream)


class StreamContext:
    def __init__(self, stream):
        self.stream = stream
        self.prev = None

    def __enter__(self):
        if self.stream is not None:
            self.prev = torch.accelerator.current_stream(self.stream.device)
            torch.accelerator.set_stream(self.stream)
        return self.stream

    def __exit__(self, *exc):
        if self.prev is not None:
            torch.accelerator.set_stream(self.prev)
        return False


def stream(stream) -> StreamContext:
    return StreamContext(stream)
