"""Dicts keyed by device type: `{"xpu": "ccl", "cuda": "nccl"}`, `dict(cuda="nccl")`.

A dict key is data, not code, so "cuda" keys stay by default (`{"cuda": torch.version.cuda}`
records a fact about the environment). A dict that maps device types is looked up with the device
the program runs on, so its "cuda" key must convert with its value, or the lookup misses on MLU.
A dict maps device types when its other keys are devices, when its "cuda" entry holds a backend or
a device, or when the program indexes it with a device (`BACKENDS[device.type]`). Subscripts of
such a dict by a literal (`BACKENDS["cuda"]`) convert with it.
"""
from __future__ import annotations

import ast
from typing import Optional

from gpu2mlu.python.context import FileContext
from gpu2mlu.python.devices import ParentOf, names_device
from gpu2mlu.python.literals import body_span
from gpu2mlu.rules import RuleSet
from gpu2mlu.values import device_or_backend, device_value


def _text(node: ast.AST) -> Optional[str]:
    """`NAME` or `self.attr`: the dotted name a dict is bound to or looked up through."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _str(node: Optional[ast.AST]) -> Optional[str]:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class DeviceDicts:
    """What one file does with dicts: which names it indexes with a device, which it binds to a
    device-keyed dict. Computed once, on first need, over the whole tree."""

    def __init__(self, rules: RuleSet, tree: ast.Module) -> None:
        self.rules = rules
        self.tree = tree
        self._indexed: Optional[set[str]] = None
        self._keyed: Optional[set[str]] = None

    # -------------------------------------------------------------- what a dict is

    def _is_device(self, value: Optional[str]) -> bool:
        code = self.rules.device_code
        return value is not None and (device_value(self.rules, value) is not None or value in code.other_devices)

    def _is_device_or_backend(self, value: Optional[str]) -> bool:
        return value is not None and (self._is_device(value) or device_or_backend(self.rules, value) is not None
                                      or value in self.rules.device_code.other_backends)

    def maps_devices(self, entries: list[tuple[Optional[str], ast.expr]], bound_to: Optional[str]) -> bool:
        """entries: (key, value) pairs; key None for `**x` or a non-literal key."""
        cuda = [value for key, value in entries if key is not None and device_value(self.rules, key)]
        if not cuda or any(_records_a_version(value) for value in cuda):
            return False  # {"cpu": platform.processor(), "cuda": torch.version.cuda}: facts
        others = [key for key, _ in entries if key is None or not device_value(self.rules, key)]
        if others and all(self._is_device(key) for key in others):
            return True  # {"cpu": ..., "cuda": ...}
        if all(self._is_device_or_backend(_str(value)) for value in cuda):
            return True  # {"cuda": "nccl"}
        return bound_to is not None and bound_to in self.indexed()

    def indexed(self) -> set[str]:
        """Names looked up with a device: `X[device.type]`, `X.get(dev)`."""
        if self._indexed is None:
            code = self.rules.device_code
            found = set()
            for node in ast.walk(self.tree):
                if isinstance(node, ast.Subscript) and names_device(code, node.slice):
                    found.add(_text(node.value))
                elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                      and node.args and names_device(code, node.args[0])):
                    found.add(_text(node.func.value))
            found.discard(None)
            self._indexed = found
        return self._indexed

    def keyed(self) -> set[str]:
        """Names bound to a dict that maps device types."""
        if self._keyed is None:
            found = set()
            for node in ast.walk(self.tree):
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        name = _text(target)
                        entries = _entries(node.value)
                        if name and entries is not None and self.maps_devices(entries, name):
                            found.add(name)
            self._keyed = found
        return self._keyed


def _records_a_version(node: ast.expr) -> bool:
    """`torch.version.cuda`, `torch.backends.cudnn.version()`, `x.__version__`."""
    return any(isinstance(n, ast.Attribute) and n.attr in ("version", "__version__") or
               isinstance(n, ast.Name) and n.id == "version" for n in ast.walk(node))


def _entries(node: ast.expr) -> Optional[list[tuple[Optional[str], ast.expr]]]:
    if isinstance(node, ast.Dict):
        return [(_str(k), v) for k, v in zip(node.keys, node.values)]
    if _is_dict_call(node):
        return [(k.arg, k.value) for k in node.keywords]
    return None


def _is_dict_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args


def _bound_to(node: ast.expr, parent_of: ParentOf) -> Optional[str]:
    parent = parent_of(node)
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
        return _text(parent.targets[0])
    if isinstance(parent, ast.AnnAssign):
        return _text(parent.target)
    return None


def _looked_up_with_device(ctx: FileContext, node: ast.expr, parent_of: ParentOf) -> bool:
    """`{...}[device.type]` written in place."""
    parent = parent_of(node)
    return isinstance(parent, ast.Subscript) and parent.value is node and names_device(ctx.rules.device_code, parent.slice)


def convert_dict(ctx: FileContext, node: ast.expr, dicts: DeviceDicts, parent_of: ParentOf) -> None:
    """A dict display or a `dict(...)` call: convert its device keys if it maps device types."""
    entries = _entries(node)
    if not entries:
        return
    if not (_looked_up_with_device(ctx, node, parent_of) or dicts.maps_devices(entries, _bound_to(node, parent_of))):
        return
    if isinstance(node, ast.Dict):
        for key in node.keys:
            _convert_key(ctx, key)
        return
    for kw in node.keywords:
        new = device_value(ctx.rules, kw.arg) if kw.arg else None
        if new is not None:
            start = ctx.index.start_of(kw)
            ctx.edit(start, start + len(kw.arg), new, "device-literal")


def convert_subscript(ctx: FileContext, node: ast.Subscript, dicts: DeviceDicts) -> None:
    """`BACKENDS["cuda"]` where BACKENDS is bound to a dict whose keys convert."""
    if device_value(ctx.rules, _str(node.slice) or "") is None:
        return
    name = _text(node.value)
    if name is not None and name in dicts.keyed():
        _convert_key(ctx, node.slice)


def _convert_key(ctx: FileContext, key: Optional[ast.expr]) -> None:
    new = device_value(ctx.rules, _str(key) or "")
    span = body_span(ctx, key) if new is not None else None
    if span is not None:
        ctx.edit(span[0], span[1], new, "device-literal")
