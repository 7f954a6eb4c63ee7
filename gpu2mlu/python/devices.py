"""Code that builds or takes apart device strings: `dev.startswith("cuda:")`, `"cuda:" in str(d)`,
`torch.device("cuda:" + str(i))`.

A bare prefix such as "cuda:" is not a device by itself (whole devices such as "cuda:0" convert
wherever they stand, see literals.py), so it converts only where the code around it is plainly
about a device: the receiver of a string method or the right side of `in` names a device, or the
string is built in a device position (a `torch.device`/`.to` argument, a `device=` keyword, an
assignment to `device`, ...). Elsewhere it is reported (GM215), except in prose (log calls,
exception messages), dict keys and subscripts.
"""
from __future__ import annotations

import ast
from typing import Callable, Optional

from gpu2mlu.python.context import FileContext
from gpu2mlu.python.literals import LOG_METHODS, body_span
from gpu2mlu.rules.schema import DeviceCode
from gpu2mlu.values import device_prefix

_AS_TEXT = frozenset({"str", "repr", "format"})  # str(x.device) is about what x.device is about
_TEXT_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "casefold"})
_PROSE_SUFFIXES = ("Error", "Exception", "Warning")
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp)

ParentOf = Callable[[ast.AST], Optional[ast.AST]]


def names_device(code: DeviceCode, node: ast.AST) -> bool:
    """Whether an expression plausibly holds a device: one of its names is about a device
    (`device`, `args.dev`, `x.device.type`, `str(self.device)`, `devices[0]`, `get_device()`)."""
    names = []
    while True:
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in _AS_TEXT and len(node.args) == 1:
                node = node.args[0]
            elif isinstance(func, ast.Attribute) and func.attr in _TEXT_METHODS:
                node = func.value
            else:
                node = func
        elif isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            break
        else:
            break
    return any(code.names_device(name) for name in names)


def convert_prefix(ctx: FileContext, node: ast.Constant, parent_of: ParentOf, function: Optional[str]) -> None:
    """A str constant whose value is a device prefix ("cuda:"), visited with its parents known."""
    new = device_prefix(ctx.rules, node.value)
    if new is None:
        return
    verdict = _verdict(ctx.rules.device_code, _top_of_concatenation(node, parent_of), parent_of, function)
    if verdict is None:
        return
    if verdict:
        span = body_span(ctx, node)
        if span is not None:
            ctx.edit(span[0], span[1], new, "device-literal")
    else:
        ctx.flag(node.lineno, "GM215", repr(node.value))


def _top_of_concatenation(node: ast.expr, parent_of: ParentOf) -> ast.expr:
    """`"cuda:" + str(i) + suffix`: the whole sum, of which the prefix is the leftmost operand."""
    parent = parent_of(node)
    while isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Add) and parent.left is node:
        node, parent = parent, parent_of(parent)
    return node


def _verdict(code: DeviceCode, node: ast.expr, parent_of: ParentOf, function: Optional[str]) -> Optional[bool]:
    """True: a device string; False: cannot tell (reported); None: prose, a key, not to report."""
    parent = parent_of(node)
    while isinstance(parent, (ast.IfExp, ast.BoolOp, ast.Tuple, ast.List, ast.Set, ast.BinOp, *_COMPREHENSIONS)):
        if isinstance(parent, ast.IfExp) and parent.test is node:
            return False
        if isinstance(parent, _COMPREHENSIONS) and parent.elt is not node:
            return False
        if isinstance(parent, ast.BinOp):
            return False  # "x" + "cuda:", "cuda:" * 2: not a device being built
        node, parent = parent, parent_of(parent)
    if isinstance(parent, ast.Call):
        return _in_call(code, node, parent)
    if isinstance(parent, ast.Compare):
        return _in_comparison(code, node, parent)
    if isinstance(parent, ast.keyword):
        return parent.arg is not None and code.names_device(parent.arg)
    if isinstance(parent, ast.Assign):
        return any(names_device(code, target) for target in parent.targets)
    if isinstance(parent, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
        return names_device(code, parent.target)
    if isinstance(parent, ast.Return):
        return function is not None and code.names_device(function)
    if isinstance(parent, ast.Dict):
        if any(key is node for key in parent.keys):
            return None
        key = parent.keys[[id(v) for v in parent.values].index(id(node))]
        return isinstance(key, ast.Constant) and isinstance(key.value, str) and code.names_device(key.value)
    if isinstance(parent, ast.arguments):
        name = _parameter_of_default(parent, node)
        return name is not None and code.names_device(name)
    if isinstance(parent, (ast.Subscript, ast.Expr, ast.JoinedStr, ast.FormattedValue, ast.Raise, ast.Assert)):
        return None
    return False


def _in_call(code: DeviceCode, node: ast.expr, call: ast.Call) -> Optional[bool]:
    func = call.func
    callee = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if callee in LOG_METHODS or callee.endswith(_PROSE_SUFFIXES) or callee == "print":
        return None
    if call.args and call.args[0] is node and callee in code.calls:
        return True  # torch.device("cuda:" + str(i)), x.to("cuda:" + r)
    if isinstance(func, ast.Attribute) and callee in code.string_methods and any(a is node for a in call.args):
        return names_device(code, func.value)  # dev.startswith("cuda:"), dev.replace("cuda:", "")
    return False


def _in_comparison(code: DeviceCode, node: ast.expr, compare: ast.Compare) -> bool:
    membership = all(isinstance(op, (ast.In, ast.NotIn)) for op in compare.ops)
    if compare.left is node and membership:
        return names_device(code, compare.comparators[0])  # "cuda:" in str(device)
    if isinstance(node, ast.Constant) and not membership:
        return False  # dev[:5] == "cuda:": the slice length must change too, a human's job
    operands = [compare.left, *compare.comparators]
    return any(names_device(code, other) for other in operands if other is not node)


def _parameter_of_default(args: ast.arguments, node: ast.expr) -> Optional[str]:
    positional = [*args.posonlyargs, *args.args]
    for param, default in zip(positional[len(positional) - len(args.defaults):], args.defaults):
        if default is node:
            return param.arg
    for param, default in zip(args.kwonlyargs, args.kw_defaults):
        if default is node:
            return param.arg
    return None
