"""Tensor and Module members renamed on MLU (torch_api.toml rule "tensor-cuda-method"):
`x.cuda(...)` -> `x.mlu(...)`, `m.cuda()` -> `m.mlu()`, `x.is_cuda` -> `x.is_mlu`.

.cuda() maps for every caller (there is no CUDA to move to). is_cuda answers as is_mlu only to
code outside torch: torch's own checks (optimizers, DataLoader) keep seeing False, as under verify.
"""

from __future__ import annotations

import functools
import sys

from . import devices, sites, table

RULE = "tensor-cuda-method"


def _method(cls, name: str, target: str, row: dict, shown: str):
    original = getattr(cls, name)

    @functools.wraps(original)
    def mapped(self, *args, **kwargs):
        if not sites.note(sites.site(sys._getframe(1)), row["status"], shown,
                          devices.shown_name(row["to"]), row["rule"], row["finding"]):
            return original(self, *args, **kwargs)
        return getattr(self, target)(*args, **kwargs)

    return mapped


def _property(cls, name: str, target: str, row: dict, shown: str):
    original = getattr(cls, name)
    real = original.__get__
    to = devices.shown_name(row["to"])

    def getter(self):
        frame, (kind, package, hidden) = sites.caller(sys._getframe(1))
        if kind != sites.CODE:
            return real(self)
        if not sites.note(sites.at(frame, package, hidden), row["status"], shown, to, row["rule"],
                          row["finding"]):
            return real(self)
        return getattr(self, target)

    return property(getter, doc=getattr(original, "__doc__", None))


def install() -> None:
    for full, row in table.names().items():
        if row["rule"] != RULE or not row.get("to"):
            continue
        owner_name, _, name = full.rpartition(".")
        cls = table.resolve(owner_name)
        target = row["to"].rpartition(".")[2]
        if not isinstance(cls, type) or not hasattr(cls, name) or not hasattr(cls, target):
            continue
        shown = devices.shown_name(full)
        attr = cls.__dict__.get(name, getattr(cls, name))
        if hasattr(attr, "__get__") and not callable(attr):  # a property/getset: is_cuda
            setattr(cls, name, _property(cls, name, target, row, shown))
        else:
            setattr(cls, name, _method(cls, name, target, row, shown))
