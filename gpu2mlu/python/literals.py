"""String literals whose whole value is a CUDA device, backend, profiler key or variable name."""
from __future__ import annotations

import ast
import re
from typing import Optional

from gpu2mlu.python.context import FileContext
from gpu2mlu.values import device_or_backend, env_verdict

_PREFIX = re.compile(r"[rRuUbBfF]*")

# Where a literal is prose or a label rather than a device: never touched.
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "critical", "exception", "log", "print"})


def body_span(ctx: FileContext, node: ast.expr, fstring: bool = False) -> Optional[tuple[int, int, str]]:
    """(start, end, quote-less text) of a one-piece string literal (an f-string without
    placeholders when `fstring`), else None."""
    start, end = ctx.index.start_of(node), ctx.index.end_of(node)
    source = ctx.text[start:end]
    m = _PREFIX.match(source)
    prefix = m.group()
    if "b" in prefix.lower() or ("f" in prefix.lower()) != fstring:
        return None
    value = node.values[0].value if fstring else node.value
    rest = source[len(prefix):]
    quote = rest[:3] if rest[:3] in ('"""', "'''") else rest[:1]
    if quote not in ('"', "'", '"""', "'''") or not rest.endswith(quote) or len(rest) < 2 * len(quote):
        return None
    body = rest[len(quote):len(rest) - len(quote)]
    if body != value:  # escapes, {{ }} or implicit concatenation: leave it alone
        return None
    body_start = start + len(prefix) + len(quote)
    return body_start, body_start + len(body), body


def convert_string(ctx: FileContext, node: ast.Constant, as_key: bool) -> None:
    """A str constant. `as_key`: a dict key or subscript, where only variable names convert."""
    value = node.value
    if not value or len(value) > 64 or not value.isascii():
        return
    env = _env(ctx, node, value)
    if env:
        return
    if as_key:
        return
    verdict = device_or_backend(ctx.rules, value)
    if verdict is not None:
        new, rule = verdict
    else:
        new = ctx.rules.exact_literals.get(value)
        rule = "profiler" if value.endswith(("_time", "_time_total", "_memory_usage")) else "torch-cuda-api"
    if new is None:
        return
    span = body_span(ctx, node)
    if span is not None:
        ctx.edit(span[0], span[1], new, rule)


def _env(ctx: FileContext, node: ast.Constant, value: str) -> bool:
    rule = env_verdict(ctx.rules, value)
    if rule is None:
        return False
    if rule.new:
        span = body_span(ctx, node)
        if span is not None:
            ctx.edit(span[0], span[1], rule.new, "env-var")
    if rule.finding:
        ctx.flag(node.lineno, rule.finding, value, new=rule.new or "", suggestion=rule.suggestion)
    return True


def convert_fstring(ctx: FileContext, node: ast.JoinedStr) -> None:
    """f'cuda:{rank}' → f'mlu:{rank}'; f'cuda:0' (no placeholder) like the plain literal."""
    if len(node.values) == 1 and isinstance(node.values[0], ast.Constant):
        _convert_plain_fstring(ctx, node, node.values[0].value)
        return
    if len(node.values) != 2 or not isinstance(node.values[0], ast.Constant):
        return
    if not isinstance(node.values[1], ast.FormattedValue):
        return
    head = node.values[0].value
    if not isinstance(head, str) or ":" not in head or head.index(":") != len(head) - 1:
        return
    device = head[:-1]
    if device not in ctx.rules.devices:
        return
    start = ctx.index.start_of(node)
    source = ctx.text[start:ctx.index.end_of(node)]
    prefix = _PREFIX.match(source).group()
    quote = source[len(prefix):len(prefix) + 3] if source[len(prefix):len(prefix) + 3] in ('"""', "'''") else source[len(prefix):len(prefix) + 1]
    body_start = start + len(prefix) + len(quote)
    if ctx.text[body_start:body_start + len(head)] != head:
        return
    ctx.edit(body_start, body_start + len(device), ctx.rules.devices[device], "device-literal")


def _convert_plain_fstring(ctx: FileContext, node: ast.JoinedStr, value) -> None:
    if not isinstance(value, str) or len(value) > 64:
        return
    verdict = device_or_backend(ctx.rules, value)
    span = body_span(ctx, node, fstring=True) if verdict is not None else None
    if span is not None:
        ctx.edit(span[0], span[1], verdict[0], verdict[1])
