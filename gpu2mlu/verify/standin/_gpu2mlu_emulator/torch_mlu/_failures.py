"""Failures real torch_mlu would have that the emulator must not let pass silently.

- torch.nn.DataParallel: torch_mlu runs multi-device training only through
  DistributedDataParallel; DataParallel's scatter/gather is CUDA-only.  Recorded at the line that
  builds it (the run goes on: on one device DataParallel just calls the module).
- DistributedDataParallel over a process group with no MLU backend (plain gloo, e.g. a
  `'nccl' if cuda else 'gloo'` choice): recorded at the DDP line, naming where the group was made.
- exceptions in mp.spawn children, which torch catches and turns into exit code 1 before any
  excepthook sees them.
"""

from __future__ import annotations

import functools
import sys

import torch

from . import _events, _guards, _surface

DATA_PARALLEL_ADVICE = (
    "torch_mlu supports multi-device training only with DistributedDataParallel: use DDP with "
    "backend='cncl', one process per MLU (torchrun or mp.spawn)")

_group_site: dict[int, str] = {}  # id(process group) -> where the project created it


def _record(kind: str, api: str, loc, message: str) -> None:
    _events.record(kind, api=api, where=_events.where(loc), line=_events.source_line(loc),
                   message=message)


def _wrap_data_parallel() -> None:
    cls = torch.nn.DataParallel
    original = cls.__init__

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        loc = _events.nearest_user_frame(1)
        _record("data-parallel", "torch.nn.DataParallel", loc, DATA_PARALLEL_ADVICE)
        print(f"gpu2mlu verify: torch.nn.DataParallel at {_events.where(loc)}: "
              f"{DATA_PARALLEL_ADVICE}", file=sys.stderr)
        original(self, *args, **kwargs)

    cls.__init__ = __init__


def _default_group():
    dist = torch.distributed
    return dist.distributed_c10d._get_default_group() if dist.is_initialized() else None


def _wrap_process_group_creation(dist) -> None:
    for name in ("init_process_group", "new_group"):
        original = getattr(dist, name)

        def wrapper(*args, __original=original, __name=name, **kwargs):
            result = __original(*args, **kwargs)
            group = result if __name == "new_group" else _default_group()
            if group is not None:
                _group_site[id(group)] = _events.where(_events.nearest_user_frame(1))
            return result

        functools.update_wrapper(wrapper, original)
        setattr(dist, name, wrapper)


def _has_mlu_backend(dist, group) -> bool:
    # cncl is the one backend that carries MLU tensors (gloo refuses them, as on hardware).
    return "cncl" in str(dist.get_backend(group)).lower()


def _wrap_ddp(dist) -> None:
    cls = torch.nn.parallel.DistributedDataParallel
    original = cls.__init__

    @functools.wraps(original)
    def __init__(self, module, *args, **kwargs):
        group = kwargs.get("process_group", args[4] if len(args) > 4 else None)
        group = group if group is not None else _default_group()
        on_mlu = any(p.device.type == "mlu" for p in module.parameters())
        if group is not None and on_mlu and not _has_mlu_backend(dist, group):
            loc = _events.nearest_user_frame(1)
            made = _group_site.get(id(group), "<unknown location>")
            backend = dist.get_backend(group)
            _record("gloo-with-mlu", f"DistributedDataParallel over backend {backend!r}", loc,
                    f"the process group (created at {made}) has no MLU backend, so it cannot "
                    "carry MLU tensors; create it with backend='cncl'")
        original(self, module, *args, **kwargs)

    cls.__init__ = __init__


def _record_child_exception(exc: BaseException) -> None:
    try:
        import _gpu2mlu_process  # beside sitecustomize, on PYTHONPATH
    except ImportError:
        return
    _gpu2mlu_process.record_exception(exc)


_original_spawn_wrap = None


def _spawn_wrap(fn, i, args, error_file):
    """torch.multiprocessing.spawn._wrap, recording the child's exception first.

    Module level so the parent can pickle it by reference: the child imports this module (and
    with it the emulator) to run it.
    """

    @functools.wraps(fn)
    def recording(*a, **kw):
        try:
            return fn(*a, **kw)
        except Exception as exc:
            _record_child_exception(exc)
            raise

    return _original_spawn_wrap(recording, i, args, error_file)


def _wrap_spawn() -> None:
    global _original_spawn_wrap
    import importlib

    # Not `import torch.multiprocessing.spawn as spawn`: the package's spawn() shadows it.
    spawn = importlib.import_module("torch.multiprocessing.spawn")
    if spawn._wrap is not _spawn_wrap:
        _original_spawn_wrap = spawn._wrap
        spawn._wrap = _spawn_wrap


def install() -> None:
    # The tripwires record their own failures, with advice; the excepthook must not repeat them.
    _guards.ResidualCudaError.gpu2mlu_recorded = True
    _surface.UnsupportedMluApiError.gpu2mlu_recorded = True
    _wrap_data_parallel()
    _wrap_spawn()
    if torch.distributed.is_available():
        _wrap_process_group_creation(torch.distributed)
        _wrap_ddp(torch.distributed)
