"""'cuda' devices (and 'nccl' backends, profiler keys) wherever torch takes one.

runtime.toml [[device_args]] names the callables and which arguments hold devices. Functions and
methods get a wrapper; Python classes a wrapped __init__; C types that cannot be patched
(torch.device, torch.Generator) are replaced by a class whose construction returns the real type
and whose metaclass keeps isinstance()/issubclass() working. A wrapper costs one look at the listed
arguments; the call site is looked up only when something is mapped.
"""

from __future__ import annotations

import copyreg
import functools
import sys
from typing import NamedTuple

from . import sites, table, values


class Param(NamedTuple):
    keyword: str
    position: int | None
    mapper: object
    rule: str


def shown_name(name: str) -> str:
    for prefix, short in (("torch.Tensor.", "Tensor."), ("torch.nn.Module.", "Module.")):
        if name.startswith(prefix):
            return short + name[len(prefix):]
    return name


_BARE = (values.device, values.device_type)


def map_call(params, args: tuple, kwargs: dict):
    """(args, kwargs, changes) with the listed arguments mapped, or None when none needs it."""
    changes = None
    for p in params:
        if p.position is not None and len(args) > p.position:
            found = p.mapper(args[p.position])
            if found is not None:
                if changes is None:
                    changes, args = [], list(args)
                args[p.position] = found[0]
                # the device itself is shown bare (torch.device('cuda')); other arguments by name
                changes.append((p, "" if p.position == 0 and p.mapper in _BARE else f"{p.keyword}=", found))
        elif kwargs and p.keyword in kwargs:
            found = p.mapper(kwargs[p.keyword])
            if found is not None:
                if changes is None:
                    changes = []
                kwargs = {**kwargs, p.keyword: found[0]}
                changes.append((p, f"{p.keyword}=", found))
    return None if changes is None else (tuple(args), kwargs, changes)


def note_changes(frame, name: str, changes) -> bool:
    """Log the mapped arguments at the call site; False when that site must see CUDA as absent."""
    site = sites.site(frame)
    allowed = True
    for p, keyword, (_, old, new) in changes:
        allowed = sites.note(site, "mapped", f"{name}({keyword}{old})", f"{name}({keyword}{new})",
                             p.rule)
    return allowed


def _function(fn, params, name):
    @functools.wraps(fn)
    def mapped(*args, **kwargs):
        found = map_call(params, args, kwargs)
        if found is not None and note_changes(sys._getframe(1), name, found[2]):
            return fn(*found[0], **found[1])
        return fn(*args, **kwargs)

    return mapped


def _method(fn, params, name):
    @functools.wraps(fn)
    def mapped(self, *args, **kwargs):
        found = map_call(params, args, kwargs)
        if found is not None and note_changes(sys._getframe(1), name, found[2]):
            return fn(self, *found[0], **found[1])
        return fn(self, *args, **kwargs)

    return mapped


class _StandInType(type):
    """Metaclass of a C type's replacement: instances are the real type's."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, cls.__gpu2mlu_real__)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, cls.__gpu2mlu_real__)

    def __getattr__(cls, name):
        return getattr(cls.__gpu2mlu_real__, name)


def _constructor(real, params, name, torch_unmapped: bool):
    def __new__(cls, *args, **kwargs):
        found = map_call(params, args, kwargs)
        if found is not None:
            frame = sys._getframe(1)
            # torch's own devices stay as they are (torch internals behave as under verify)
            if not (torch_unmapped and sites.in_torch(frame)) and note_changes(frame, name, found[2]):
                return real(*found[0], **found[1])
        return real(*args, **kwargs)

    return _StandInType(real.__name__, (), {
        "__new__": __new__, "__gpu2mlu_real__": real, "__doc__": real.__doc__,
        "__module__": real.__module__, "__qualname__": real.__qualname__})


def _is_c_type(obj) -> bool:
    return isinstance(obj, type) and not obj.__flags__ & (1 << 9)  # Py_TPFLAGS_HEAPTYPE


def _grouped(rows):
    """{id(object): (object, [(owner, leaf, name)], [Param])} for the table's callables."""
    groups: dict[int, tuple] = {}
    for row in rows:
        mapper = values.MAPPERS[row["value"]]
        param = Param(row["keyword"], row["position"], mapper, row["rule"])
        for name in row["names"]:
            owner, leaf = table.owner_and_leaf(name)
            obj = table.MISSING if owner is table.MISSING else getattr(owner, leaf, table.MISSING)
            if obj is table.MISSING:
                continue  # not in this torch release
            key = id(obj)
            if key not in groups:
                groups[key] = (obj, [], [])
            where, params = groups[key][1], groups[key][2]
            if (owner, leaf) not in [(o, l) for o, l, _ in where]:
                where.append((owner, leaf, name))
            if param not in params:
                params.append(param)
    return groups


def install() -> None:
    factories: set = set()
    for obj, where, params in _grouped(table.data().get("device_args", [])).values():
        name = shown_name(where[0][2])
        if _is_c_type(obj):
            replacement = _constructor(obj, params, name, torch_unmapped=obj is values.RealDevice)
            for owner, leaf, _ in where:
                setattr(owner, leaf, replacement)
            if obj is values.RealDevice:
                # pickle finds the class by name (torch.device): save devices through the replacement,
                # which writes the same reference a stock torch writes
                copyreg.pickle(obj, lambda d, r=replacement: (r, (d.type,) if d.index is None
                                                               else (d.type, d.index)))
        elif isinstance(obj, type):
            obj.__init__ = _method(obj.__init__, params, name)
        elif isinstance(where[0][0], type):
            for owner, leaf, _ in where:
                setattr(owner, leaf, _method(obj, params, name))
        else:
            wrapped = _function(obj, params, name)
            for owner, leaf, _ in where:
                setattr(owner, leaf, wrapped)
            factories.add(obj)
    _keep_default_device(factories)


def _keep_default_device(factories: set) -> None:
    """`with torch.device(...)` / set_default_device place what torch's factories make, and
    recognise them by identity: the originals (which the wrappers call) must still count."""
    import torch.utils._device as default_device

    listed = default_device._device_constructors

    @functools.lru_cache(1)
    def _device_constructors():
        return set(listed()) | factories

    default_device._device_constructors = _device_constructors
