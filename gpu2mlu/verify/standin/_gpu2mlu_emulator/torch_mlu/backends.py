"""torch.backends.mlu / cnnl / mlufusion with torch_mlu's names.

The flags are stored and readable; numerics on the emulator are CPU's, so
they change nothing.  The SDPA switches are PyTorch's global ones (torch_mlu's
torch.backends.mlu mirrors torch.backends.cuda's, over the same at::Context
flags), and they do matter: the emulated MLU takes the attention kernel the
CPU takes under them (csrc/composites.cpp, fused_sdp_choice).
"""

from __future__ import annotations

import contextlib
import sys
import types
import warnings

import torch


class _Matmul:
    allow_tf32 = False


class _Custom:
    allow_tf32 = False


class _PlanCache:
    max_size = -1
    size = 0

    def clear(self) -> None:
        pass


def _module(name: str) -> types.ModuleType:
    mod = types.ModuleType(name)
    sys.modules[name] = mod
    setattr(torch.backends, name.rsplit(".", 1)[1], mod)
    return mod


def _build_mlu() -> types.ModuleType:
    mod = _module("torch.backends.mlu")
    cuda = torch.backends.cuda
    mod.matmul = _Matmul()
    mod.custom = _Custom()
    mod.cnfft_plan_cache = _PlanCache()
    for name in ("SDPAParams", "SDPBackend", "can_use_efficient_attention",
                 "can_use_flash_attention", "enable_flash_sdp", "enable_math_sdp",
                 "enable_mem_efficient_sdp", "flash_sdp_enabled", "math_sdp_enabled",
                 "mem_efficient_sdp_enabled", "sdp_kernel"):
        if hasattr(cuda, name):
            setattr(mod, name, getattr(cuda, name))
    mod.is_built = lambda: True
    return mod


def _build_cnnl() -> types.ModuleType:
    mod = _module("torch.backends.cnnl")
    mod.allow_tf32 = False
    mod.enabled = True

    def set_flags(_enabled=None, _benchmark=None, _deterministic=None, _allow_tf32=None, **kw):
        old = (mod.enabled, False, False, mod.allow_tf32)
        if _benchmark or _deterministic:
            warnings.warn("cnnl benchmark/deterministic flags are not available on MLU device",
                          stacklevel=2)
        if _enabled is not None:
            mod.enabled = _enabled
        if _allow_tf32 is not None:
            mod.allow_tf32 = _allow_tf32
        return old

    @contextlib.contextmanager
    def flags(enabled=False, benchmark=False, deterministic=False, allow_tf32=True, **kw):
        old = set_flags(enabled, benchmark, deterministic, allow_tf32)
        try:
            yield
        finally:
            set_flags(old[0], None, None, old[3])

    mod.set_flags, mod.flags = set_flags, flags
    mod.is_available = lambda: True
    return mod


def _build_mlufusion() -> types.ModuleType:
    mod = _module("torch.backends.mlufusion")
    mod.enabled = True
    return mod


def install() -> list[types.ModuleType]:
    return [_build_mlu(), _build_cnnl(), _build_mlufusion()]
