"""torch.mlu RNG functions over the per-device generators in the C++ backend."""

from __future__ import annotations

import torch

_ops = torch.ops.mlu_emu

__all__ = [
    "get_rng_state", "get_rng_state_all", "set_rng_state", "set_rng_state_all",
    "manual_seed", "manual_seed_all", "seed", "seed_all", "initial_seed",
]


def _index(device) -> int:
    if device is None or device == "mlu":
        return int(_ops.current_device())
    if isinstance(device, int):
        return device
    d = torch.device(device)
    return int(_ops.current_device()) if d.index is None else d.index


def get_rng_state(device="mlu") -> torch.Tensor:
    return _ops.get_rng_state(_index(device))


def get_rng_state_all() -> list:
    return [_ops.get_rng_state(i) for i in range(_ops.device_count())]


def set_rng_state(new_state: torch.Tensor, device="mlu") -> None:
    _ops.set_rng_state(_index(device), new_state.cpu())


def set_rng_state_all(new_states) -> None:
    for i, state in enumerate(new_states):
        set_rng_state(state, i)


def manual_seed(seed: int) -> None:
    _ops.manual_seed(int(_ops.current_device()), _wrap(seed))


def manual_seed_all(seed: int) -> None:
    for i in range(_ops.device_count()):
        _ops.manual_seed(i, _wrap(seed))


def _wrap(seed: int) -> int:
    seed = int(seed) & 0xFFFF_FFFF_FFFF_FFFF
    return seed - (1 << 64) if seed >= (1 << 63) else seed


def seed() -> None:
    _ops.seed(int(_ops.current_device()))


def seed_all() -> None:
    s = _ops.seed(int(_ops.current_device()))
    manual_seed_all(s)


def initial_seed() -> int:
    return int(_ops.initial_seed(int(_ops.current_device()))) & 0xFFFF_FFFF_FFFF_FFFF
