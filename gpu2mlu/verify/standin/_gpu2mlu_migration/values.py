"""CUDA values in arguments and what they become (literals.toml [device], [backend], [exact]).

Each mapper returns None when the value is left alone (the common, cheap case), else
(new value, the original as the call log shows it, the new one as shown).
"""

from __future__ import annotations

import torch

from . import table

RealDevice = torch.device  # the C type, saved before torch.device is replaced

_devices: dict = table.data().get("devices", {})
_backends: dict = table.data().get("backends", {})
_exact: dict = table.data().get("exact", {})


def device_type(value):
    if value.__class__ is str:
        new = _devices.get(value)
        if new is not None:
            return new, repr(value), repr(new)
    return None


def device(value):
    if value.__class__ is str:
        head, sep, tail = value.partition(":")
        new = _devices.get(head)
        if new is not None:
            return new + sep + tail, repr(head), repr(new)
    elif value.__class__ is RealDevice:
        new = _devices.get(value.type)
        if new is not None:
            return RealDevice(new, value.index), repr(value.type), repr(new)
    return None


def devices(value):
    if isinstance(value, (list, tuple)):
        mapped = [device(v) for v in value]
        if any(mapped):
            new = [m[0] if m else v for m, v in zip(mapped, value)]
            first = next(m for m in mapped if m)
            return type(value)(new), f"[{first[1]}]", f"[{first[2]}]"
    return None


def map_location(value):
    if isinstance(value, dict):
        new, changed = {}, None
        for k, v in value.items():
            mk, mv = device(k), device(v)
            new[k] = mv[0] if mv else v
            if mk:  # the saved location is cuda (kept) or, saved by a mapped run, mlu (added)
                new.setdefault(mk[0], new[k])
            changed = changed or mk or mv
        return (new, "{%s: ...}" % changed[1], "{%s: ...}" % changed[2]) if changed else None
    return device(value)  # callables and None stay


def backend(value):
    if not isinstance(value, str):  # dist.Backend("nccl") is a str too
        return None
    spec = str(value)
    if ":" not in spec and "," not in spec:
        new = _backends.get(spec.lower())
        return (new, repr(spec), repr(new)) if new else None
    parts, changed = [], False
    for part in spec.split(","):
        dev, sep, name = part.partition(":")
        new_dev, new_name = _devices.get(dev.strip(), dev), _backends.get(name.strip().lower(), name)
        changed |= new_dev != dev or new_name != name
        parts.append(f"{new_dev}{sep}{new_name}")
    new = ",".join(parts)
    return (new, repr(spec), repr(new)) if changed else None


def profiler_key(value):
    if value.__class__ is str:
        new = _exact.get(value)
        if new is not None:
            return new, repr(value), repr(new)
    return None


def activities(value):
    activity = torch.profiler.ProfilerActivity
    if value is None or not hasattr(activity, "CUDA"):
        return None
    items = list(value)
    if activity.CUDA not in items:
        return None
    mlu = getattr(activity, "MLU", activity.PrivateUse1)
    return [mlu if a == activity.CUDA else a for a in items], "[ProfilerActivity.CUDA]", \
        "[ProfilerActivity.MLU]"


MAPPERS = {"device": device, "device_type": device_type, "devices": devices,
           "map_location": map_location, "backend": backend, "profiler_key": profiler_key,
           "activities": activities}

