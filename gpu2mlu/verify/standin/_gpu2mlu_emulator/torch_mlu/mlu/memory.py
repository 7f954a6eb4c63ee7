"""torch.mlu memory statistics, read from the emulator's per-device counters.

The emulator keeps freed device memory for reuse in host memory, but counts
only what tensors hold, so "reserved" equals "allocated"; empty_cache() gives
the kept memory back to the system.
"""

from __future__ import annotations

import collections

import torch

_ops = torch.ops.mlu_emu

__all__ = [
    "memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved",
    "memory_cached", "max_memory_cached", "memory_stats", "memory_stats_as_nested_dict",
    "reset_peak_memory_stats", "reset_max_memory_allocated", "reset_max_memory_cached",
    "reset_accumulated_memory_stats", "empty_cache", "mem_get_info", "memory_summary",
    "set_per_process_memory_fraction", "memory_snapshot",
]


def _index(device) -> int:
    if device is None:
        return int(_ops.current_device())
    if isinstance(device, int):
        return device
    d = torch.device(device)
    return int(_ops.current_device()) if d.index is None else d.index


def _raw(device):
    current, peak, allocs, frees = _ops.memory_stats(_index(device))
    return current, peak, allocs, frees


def memory_stats_as_nested_dict(device=None) -> dict:
    current, peak, allocs, frees = _raw(device)
    block = {"all": {"current": current, "peak": peak, "allocated": 0, "freed": 0}}
    count = {"all": {"current": allocs - frees, "peak": allocs - frees,
                     "allocated": allocs, "freed": frees}}
    return {"allocated_bytes": block, "reserved_bytes": block, "active_bytes": block,
            "allocation": count, "num_alloc_retries": 0, "num_ooms": 0}


def memory_stats(device=None) -> collections.OrderedDict:
    flat = {}

    def walk(prefix, obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(f"{prefix}.{k}" if prefix else k, v)
        else:
            flat[prefix] = obj

    walk("", memory_stats_as_nested_dict(device))
    return collections.OrderedDict(sorted(flat.items()))


def memory_allocated(device=None) -> int:
    return _raw(device)[0]


def max_memory_allocated(device=None) -> int:
    return _raw(device)[1]


memory_reserved = memory_cached = memory_allocated
max_memory_reserved = max_memory_cached = max_memory_allocated


def reset_peak_memory_stats(device=None) -> None:
    _ops.reset_peak_memory_stats(_index(device))


reset_max_memory_allocated = reset_max_memory_cached = reset_peak_memory_stats


def reset_accumulated_memory_stats(device=None) -> None:
    pass


def empty_cache() -> None:
    _ops.empty_cache()


def mem_get_info(device=None) -> tuple[int, int]:
    from . import _TOTAL_MEMORY

    return max(0, _TOTAL_MEMORY - memory_allocated(device)), _TOTAL_MEMORY


def set_per_process_memory_fraction(fraction: float, device=None) -> None:
    if not 0 <= fraction <= 1:
        raise ValueError(f"Invalid fraction value: {fraction}. Allowed range: 0~1")


def memory_snapshot() -> list:
    return []


def memory_summary(device=None, abbreviated: bool = False) -> str:
    current, peak, allocs, frees = _raw(device)
    return (f"MLU emulator memory, device {_index(device)}: current {current} B, "
            f"peak {peak} B, {allocs} allocations, {frees} frees")
