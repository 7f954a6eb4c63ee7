"""torch.mlu for the emulated device: device management plus the submodules.

Everything is synchronous on the host, so synchronisation is a no-op and the
device properties describe an MLU590-class board (bf16 capable).
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import torch

from . import amp, cncl, cnpx, memory, profiler, random, streams  # noqa: F401
from .memory import *  # noqa: F401,F403
from .random import *  # noqa: F401,F403
from .streams import *  # noqa: F401,F403

_ops = torch.ops.mlu_emu
OutOfMemoryError = torch.OutOfMemoryError
_TOTAL_MEMORY = int(os.environ.get("MLU_EMU_MEMORY", str(32 << 30)))


def is_available() -> bool:
    return device_count() > 0


def device_count() -> int:
    return int(_ops.device_count())


def is_initialized() -> bool:
    return True


def init() -> None:
    pass


def _lazy_init() -> None:
    pass


def _is_compiled() -> bool:
    return True


def _is_in_bad_fork() -> bool:
    return False


def _get_device_index(device, optional: bool = False, allow_cpu: bool = False) -> int:
    if isinstance(device, str):
        device = torch.device(device)
    if isinstance(device, torch.device):
        if allow_cpu and device.type == "cpu":
            return -1
        if device.type != "mlu":
            raise ValueError(f"Expected an mlu device, but got: {device}")
        device = device.index
    if device is None:
        if not optional:
            raise ValueError("Expected an mlu device with a specified index")
        return current_device()
    return int(device)


# torch.load and friends look the helper up here.
_utils = SimpleNamespace(_get_device_index=_get_device_index)


def current_device() -> int:
    return int(_ops.current_device())


def set_device(device) -> None:
    idx = _get_device_index(device, optional=True)
    if idx >= 0:
        _ops.set_device(idx)


class device:
    """Context manager that changes the current MLU device."""

    def __init__(self, device):
        self.idx = _get_device_index(device, optional=True) if device is not None else -1
        self.prev = -1

    def __enter__(self):
        self.prev = current_device()
        if self.idx >= 0:
            _ops.set_device(self.idx)

    def __exit__(self, *exc):
        _ops.set_device(self.prev)
        return False


class device_of(device):
    def __init__(self, obj):
        super().__init__(obj.get_device() if obj.is_mlu else None)


def synchronize(device=None) -> None:
    """Emulated work is synchronous; checks the device index like hardware does."""
    if device is not None:
        _get_device_index(device, optional=True)


def ipc_collect() -> None:
    pass


def get_device_properties(device=None):
    idx = _get_device_index(device, optional=True)
    return SimpleNamespace(
        name="MLU590 (gpu2mlu emulator)", major=5, minor=9, isa_version=592,
        multi_processor_count=48, cluster_count=12, core_num_per_cluster=4,
        total_memory=_TOTAL_MEMORY, supports_linear_memory=True, index=idx,
    )


def get_device_name(device=None) -> str:
    return get_device_properties(device).name


def get_device_capability(device=None) -> tuple[int, int]:
    p = get_device_properties(device)
    return p.major, p.minor


def can_device_access_peer(device, peer_device) -> bool:
    return True


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return True


def is_fp8_supported() -> bool:
    return False


def supports_linear_memory(device=None) -> bool:
    return True


def get_amp_supported_dtype():
    return [torch.float16, torch.bfloat16]


def is_autocast_enabled() -> bool:
    return torch.is_autocast_enabled("mlu")


def set_autocast_enabled(enabled: bool) -> None:
    torch.set_autocast_enabled("mlu", enabled)


def get_autocast_dtype():
    return torch.get_autocast_dtype("mlu")


def set_autocast_dtype(dtype) -> None:
    torch.set_autocast_dtype("mlu", dtype)
