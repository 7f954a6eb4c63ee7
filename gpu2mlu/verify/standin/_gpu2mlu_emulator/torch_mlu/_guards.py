"""CUDA tripwires: residual CUDA use in the project fails at once, with its location.

On a real MLU machine `torch.cuda.is_available()` is False, `.cuda()` raises
and `'nccl'` does not exist, so CUDA calls left behind by a conversion are
bugs.  Only the project's own code trips a wire (torch's internals probe CUDA
all the time); a 'cuda' device reaching the CUDA runtime trips from anywhere.
"""

from __future__ import annotations

import sys
import types

import torch

from . import _events, _surface


class ResidualCudaError(RuntimeError):
    """The converted project still uses CUDA."""


def trip(what: str, advice: str, loc) -> None:
    at = _events.where(loc)
    line = _events.source_line(loc)
    _events.record("residual-cuda", api=what, where=at, line=line)
    shown = f"\n    {line}" if line else ""
    raise ResidualCudaError(
        f"gpu2mlu verify: residual CUDA use at {at}: {what}{shown}\n  -> {advice}"
    )


class _CudaModule(types.ModuleType):
    """torch.cuda (and its submodules) with a tripwire on every public name."""

    def __getattribute__(self, name: str):
        get = super().__getattribute__
        if not name.startswith("_"):
            loc = _events.immediate_caller(1)
            if loc is not None:
                full = f"{get('__name__')}.{name}"
                trip(full, _advice(full), loc)
        return get(name)


def _advice(full: str) -> str:
    if full.startswith("torch.cuda.amp"):
        return "use torch.amp.autocast('mlu') / torch.amp.GradScaler('mlu')"
    mlu = full.replace("torch.cuda", "torch.mlu", 1)
    if _surface.exists_on_real(mlu):
        return f"use {mlu}"
    return f"{mlu} does not exist in torch_mlu; remove or rewrite this call"


_COMPILER_DIRS = ("/torch/_dynamo/", "/torch/_inductor/")


def _in_compiler(depth: int) -> bool:
    frame = sys._getframe(depth + 1)
    while frame is not None:
        if any(d in frame.f_code.co_filename for d in _COMPILER_DIRS):
            return True
        frame = frame.f_back
    return False


def _lazy_init_tripwire(*args, **kwargs):
    if _in_compiler(1):  # torch.compile probes CUDA on its own; not the project's doing
        return _original_lazy_init(*args, **kwargs)
    loc = _events.nearest_user_frame(1)
    trip("a 'cuda' device (tensor, module or device string) reached the CUDA runtime",
         "use 'mlu' / 'mlu:N' devices, .mlu() and torch.mlu.* instead", loc)


def _wrap_method(owner, name: str, what: str, advice: str) -> None:
    original = getattr(owner, name)

    def method(self, *args, **kwargs):
        loc = _events.immediate_caller(1)
        if loc is not None:
            trip(what, advice, loc)
        return original(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = original.__doc__
    setattr(owner, name, method)


def _is_cuda_property() -> property:
    base = torch._C.TensorBase.is_cuda

    def getter(self):
        loc = _events.immediate_caller(1)
        if loc is not None:
            trip("Tensor.is_cuda", "use Tensor.is_mlu", loc)
        return base.__get__(self)

    return property(getter)


def _device_arg_is_cuda(value) -> bool:
    if isinstance(value, torch.device):
        return value.type == "cuda"
    return isinstance(value, str) and value.split(":")[0] == "cuda"


def _wrap_device_class(cls, what: str, default_cuda: bool) -> None:
    original = cls.__init__

    def __init__(self, *args, **kwargs):
        device = kwargs.get("device", kwargs.get("device_type", args[0] if args else None))
        loc = _events.immediate_caller(1)
        if loc is not None and (_device_arg_is_cuda(device) or (device is None and default_cuda)):
            trip(f"{what}({device!r})" if device is not None else f"{what}() (defaults to 'cuda')",
                 f"pass the 'mlu' device: {what}('mlu', ...)", loc)
        original(self, *args, **kwargs)

    cls.__init__ = __init__


def _wrap_dist(dist) -> None:
    for name in ("init_process_group", "new_group"):
        original = getattr(dist, name)

        def wrapper(*args, __original=original, __name=name, **kwargs):
            backend = kwargs.get("backend", args[0] if args and __name == "init_process_group"
                                 else None)
            if isinstance(backend, str) and "nccl" in backend.lower():
                loc = _events.nearest_user_frame(1)
                trip(f"torch.distributed.{__name}(backend={backend!r})",
                     "use backend='cncl' (or 'mlu:cncl') on MLU", loc)
            return __original(*args, **kwargs)

        wrapper.__name__ = name
        wrapper.__doc__ = original.__doc__
        setattr(dist, name, wrapper)

    original_avail = dist.is_nccl_available

    def is_nccl_available():
        loc = _events.immediate_caller(1)
        if loc is not None:
            trip("torch.distributed.is_nccl_available()", "use dist.is_cncl_available()", loc)
        return original_avail()

    dist.is_nccl_available = is_nccl_available


_original_lazy_init = torch.cuda._lazy_init


def install() -> None:
    torch.cuda._lazy_init = _lazy_init_tripwire
    for name, mod in list(sys.modules.items()):
        if (name == "torch.cuda" or name.startswith("torch.cuda.")) and \
                type(mod) is types.ModuleType:
            mod.__class__ = _CudaModule
    _wrap_method(torch.Tensor, "cuda", "Tensor.cuda()", "use Tensor.mlu() or .to('mlu')")
    _wrap_method(torch.nn.Module, "cuda", "Module.cuda()", "use Module.mlu() or .to('mlu')")
    torch.Tensor.is_cuda = _is_cuda_property()
    _wrap_device_class(torch.amp.autocast, "torch.autocast", default_cuda=False)
    _wrap_device_class(torch.amp.GradScaler, "torch.amp.GradScaler", default_cuda=True)
    if torch.distributed.is_available():
        _wrap_dist(torch.distributed)
