"""torch_api.toml names outside torch.cuda: call rules and renames applied to live calls.

- torch.cuda.amp.autocast(...) -> torch.amp.autocast('mlu', ...): a subclass of the target that
  applies the call rule (isinstance and `with`/decorator use keep working);
- torch.get_autocast_gpu_dtype(), torch.is_autocast_enabled(), torch.amp.GradScaler() (device
  defaults to CUDA), torch.distributed.is_nccl_available, emit_nvtx: replaced on their module by
  a wrapper that applies the rule for code outside torch and calls the original for torch itself.
"""

from __future__ import annotations

import functools
import sys
import types

from . import sites, table


def _shown_call(name: str, spec: table.CallSpec, changed: bool) -> str:
    if changed and spec.insert is not table.MISSING:
        return f"{name}({spec.insert!r}, ...)"
    return name


def shown_target(row: dict, full: str) -> str:
    """How the call log names what `full` became: torch.amp.autocast('mlu', ...)."""
    to = row.get("to") or full
    insert = row.get("call", {}).get("insert", table.MISSING)
    return to if insert is table.MISSING else f"{to}({insert!r}, ...)"


def with_call_rule(real, to: str | None, raw: dict, full: str):
    """What code outside torch gets for `full`: its target (or itself) with the call rule applied."""
    spec = table.CallSpec(raw)
    target = table.resolve(to) if to else real
    if target is table.MISSING:
        return real
    if isinstance(target, type):
        class Mapped(target):
            def __init__(self, *args, **kwargs):
                args, kwargs = spec.apply(args, kwargs)
                super().__init__(*args, **kwargs)

        Mapped.__name__ = Mapped.__qualname__ = target.__name__
        Mapped.__module__ = target.__module__
        Mapped.__doc__ = target.__doc__
        return Mapped

    @functools.wraps(target)
    def mapped(*args, **kwargs):
        if not spec.applies(args):
            return real(*args, **kwargs)
        args, kwargs = spec.apply(args, kwargs)
        return target(*args, **kwargs)

    return mapped


def _caller_aware(original, target, spec, full: str, row: dict):
    """A stand-in for `original` on its module: torch's own calls are unchanged."""
    to_name = row.get("to") or full

    @functools.wraps(original)
    def mapped(*args, **kwargs):
        frame, (kind, package, hidden) = sites.caller(sys._getframe(1))
        if kind != sites.CODE or (spec is not None and not spec.applies(args)):
            return original(*args, **kwargs)
        new_args, new_kwargs, changed = spec.rewrite(args, kwargs) if spec else (args, kwargs, False)
        shown = _shown_call(to_name, spec, changed) if spec is not None else to_name
        site = sites.site(frame)
        if not sites.note(site, row["status"], full, shown, row["rule"], row["finding"]):
            return original(*args, **kwargs)
        return target(*new_args, **new_kwargs)

    return mapped


def _patch_constructor(cls, spec, full: str, row: dict) -> None:
    """A class whose default device is CUDA (torch.amp.GradScaler): the rule applies in __init__."""
    original = cls.__init__

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        frame, (kind, _, _) = sites.caller(sys._getframe(1))
        if kind == sites.CODE and spec.applies(args):
            new_args, new_kwargs, changed = spec.rewrite(args, kwargs)
            if changed and sites.note(sites.site(frame), row["status"], f"{full}()",
                                      _shown_call(full, spec, changed), row["rule"], row["finding"]):
                args, kwargs = new_args, new_kwargs
        original(self, *args, **kwargs)

    cls.__init__ = __init__


def install(skip_module) -> None:
    skip = set(table.data().get("skip_families", ()))
    done: set[int] = set()  # torch.amp.GradScaler is torch.amp.grad_scaler.GradScaler: once
    for full, row in table.names().items():
        owner_name, _, leaf = full.rpartition(".")
        if skip_module(owner_name) or row.get("module") or row["rule"] in skip:
            continue
        if not row.get("to") and "call" not in row:
            continue  # nothing to do at run time (a finding only)
        owner = table.resolve(owner_name)
        if not isinstance(owner, types.ModuleType):
            continue  # class attributes (Tensor.cuda, Backend.NCCL): methods.py and the wrappers
        original = getattr(owner, leaf, table.MISSING)
        if original is table.MISSING or id(original) in done:
            continue  # not in this torch build (ProcessGroupNCCL without NCCL), or done
        done.add(id(original))
        spec = table.CallSpec(row["call"]) if "call" in row else None
        if isinstance(original, type) and not row.get("to"):
            _patch_constructor(original, spec, full, row)
            continue
        target = table.resolve(row["to"]) if row.get("to") else original
        if target is not table.MISSING:
            setattr(owner, leaf, _caller_aware(original, target, spec, full, row))
