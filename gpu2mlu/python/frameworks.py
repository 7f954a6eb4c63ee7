"""Calls and dicts whose string values are settings, not torch devices: a framework's own options
(DeepSpeed's `comm_backend_name`, Lightning's `Trainer(accelerator=...)`; frameworks.toml) and the
project's implementation switches (`impl='cuda'`, `--impl` with choices ['cuda', 'ref']; GM230).

A framework setting is claimed: the literal is left as written (the generic device and backend
rules would produce a value the framework rejects) and reported. An implementation switch still
converts like every device value (so every file kind agrees) and is reported.
"""
from __future__ import annotations

import ast
from typing import Optional

from gpu2mlu.python.argparse_options import declared_option
from gpu2mlu.python.context import FileContext
from gpu2mlu.values import device_value

IMPLEMENTATION_SWITCH = "GM230"


def visit(ctx: FileContext, node: ast.AST, claimed: set) -> None:
    """A Call or a Dict: claim (add the id of) every string literal that is a framework setting."""
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                _setting(ctx, key.value, value, frozenset(), claimed)
        return
    if not isinstance(node, ast.Call):
        return
    present = _frameworks_called(ctx, node.func)
    switches = ctx.rules.frameworks.impl_names
    for keyword in node.keywords:
        if keyword.arg is None:
            continue
        _setting(ctx, keyword.arg, keyword.value, present, claimed)
        if keyword.arg in switches and _is_device(ctx, keyword.value):
            ctx.flag(keyword.value.lineno, IMPLEMENTATION_SWITCH, f"{keyword.arg}={keyword.value.value!r}")
    option = declared_option(node)
    if option is not None and _is_switch(ctx, option):
        ctx.flag(option.line, IMPLEMENTATION_SWITCH, f"the option {option.flags[0]}")


def _setting(ctx: FileContext, key: str, value: ast.AST, present: frozenset, claimed: set) -> None:
    if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
        return
    setting = ctx.rules.frameworks.setting(key, present)
    finding = setting.finding_for(value.value) if setting is not None else None
    if finding is not None:
        claimed.add(id(value))
        ctx.flag(value.lineno, finding, value.value)


def _frameworks_called(ctx: FileContext, func: ast.AST) -> frozenset:
    """Frameworks whose entry point this call is: `pl.Trainer(...)`, `Fabric(...)` in a file that
    imports the framework (transformers also has a Trainer, without these options)."""
    name = _last_name(func)
    if name is None:
        return frozenset()
    return frozenset(f.name for f in ctx.rules.frameworks.frameworks
                     if name in f.calls and f.name in ctx.text)


def _last_name(func: ast.AST) -> Optional[str]:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_device(ctx: FileContext, node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)
            and device_value(ctx.rules, node.value) is not None)


def _is_switch(ctx: FileContext, option) -> bool:
    """An option that picks 'cuda' kernels or a reference implementation."""
    values = option.choices + option.defaults
    if not any(device_value(ctx.rules, v) is not None for v in values):
        return False
    switch = ctx.rules.frameworks
    return option.dest in switch.impl_names or any(v in switch.impl_reference for v in option.choices)
