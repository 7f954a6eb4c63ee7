"""JSON: string tokens with their spans, after json.loads has accepted the whole text.

In valid JSON every '"' outside a string opens one, so one regex walks the strings and the
brackets in order. A string followed by ':' is a member name. Strings with escapes are skipped:
their source is not their value.
"""
from __future__ import annotations

import json
import re
from typing import Iterator, Optional

from gpu2mlu.config.scalars import ConfigSyntaxError, Scalar

FORMAT = "JSON"

_TOKEN = re.compile(r'"(?P<body>[^"\\]*(?:\\.[^"\\]*)*)"(?P<colon>[ \t\r\n]*:)?|[\[\]{}]')


def scalars(text: str) -> Iterator[Scalar]:
    try:
        json.loads(text)
    except ValueError as exc:
        raise ConfigSyntaxError(f"{exc.msg}, line {exc.lineno}" if hasattr(exc, "msg") else str(exc)) from None
    except RecursionError:
        raise ConfigSyntaxError("nested too deeply") from None
    return _strings(text)


def _strings(text: str) -> Iterator[Scalar]:
    # One frame per open container: [is_array, key of the member being read, or of the array].
    stack: list[list] = []
    for m in _TOKEN.finditer(text):
        body = m.group("body")
        if body is None:
            bracket = m.group()
            if bracket in "[{":
                under = _current_key(stack)
                stack.append([bracket == "[", under if bracket == "[" else None])
            else:
                stack.pop()
            continue
        name = body if "\\" not in body else json.loads(m.group()[: m.end("body") - m.start() + 1])
        if m.group("colon") is not None:
            stack[-1][1] = name
            if "\\" not in body:
                yield Scalar(m.start("body"), m.end("body"), body, is_key=True, under=None)
            continue
        if "\\" in body:
            continue
        in_array = bool(stack) and stack[-1][0]
        yield Scalar(m.start("body"), m.end("body"), body, item=in_array, under=_current_key(stack))


def _current_key(stack: list) -> Optional[str]:
    return stack[-1][1] if stack else None
