"""TOML: a small lexer for keys and one-line strings, after tomllib has accepted the text.

Tracks just enough structure to tell keys from values: table headers, `key =` (dotted keys too),
arrays and inline tables. Multi-line strings ('''/\"\"\") are lexed and left alone, as are basic
strings with escapes.
"""
from __future__ import annotations

import re
from typing import Iterator, Optional

from gpu2mlu.config.scalars import ConfigSyntaxError, Scalar

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

FORMAT = "TOML"

_TOKEN = re.compile(r'''
    (?P<newline>\r?\n)
  | (?P<space>[ \t]+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<multiline>"""(?:[^"\\]|\\.|"{1,2}(?!"))*"{3,5}|\'\'\'(?:[^']|'{1,2}(?!'))*'{3,5})
  | "(?P<basic>[^"\\\r\n]*(?:\\.[^"\\\r\n]*)*)"
  | '(?P<literal>[^'\r\n]*)'
  | (?P<punct>[\[\]{}=,.])
  | (?P<bare>[^ \t\r\n\[\]{}=,.\#"']+)
''', re.X | re.S)


def scalars(text: str) -> Iterator[Scalar]:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigSyntaxError(str(exc)) from None
    return _lex(text)


def _lex(text: str) -> Iterator[Scalar]:
    # Containers open inside a value: [is_array, key the container belongs to].
    stack: list[list] = []
    expect_key = True  # at the start of a top-level line, or after '{' / ',' in an inline table
    header = False  # inside [table] / [[array.of.tables]]
    key: Optional[str] = None  # the last key part read
    under: Optional[str] = None  # the key of the value being read
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("space", "comment", "multiline"):
            continue
        if kind == "newline":
            if not stack:
                expect_key, header = True, False
            continue
        if kind == "punct":
            p = m.group()
            if header:
                header = p != "]"
            elif p == "[" and not stack and expect_key:
                header = True
            elif p == "=":
                expect_key, under = False, key
            elif p in "[{":
                stack.append([p == "[", under])
                expect_key = p == "{"
            elif p in "]}":
                if stack:  # the second ']' of a [[header]] closes nothing
                    stack.pop()
                expect_key = False
            elif p == "," and stack and not stack[-1][0]:
                expect_key = True
            continue
        as_key = header or expect_key
        if kind == "bare":
            if as_key:
                key = m.group()
                yield Scalar(m.start(), m.end(), key, is_key=True)
            continue
        value = m.group(kind)
        if kind == "basic" and "\\" in value:
            if as_key:
                key = None  # an escaped key; its value is not needed for anything but context
            continue
        if as_key:
            key = value
            yield Scalar(m.start(kind), m.end(kind), value, is_key=True)
        else:
            in_array = bool(stack) and stack[-1][0]
            yield Scalar(m.start(kind), m.end(kind), value, item=in_array,
                         under=stack[-1][1] if in_array else under)
