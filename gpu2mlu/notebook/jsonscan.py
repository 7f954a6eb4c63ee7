"""Where each cell's source strings sit in the notebook's JSON text, byte for byte.

`json.loads` says whether the file is a notebook; this scanner then walks the same text and
records the raw span of every string token under `cells[i].source`, so that only changed strings
are rewritten and everything else (outputs, metadata, key order, indentation, escapes) stays.
Values nobody edits are skipped with the C decoder, never walked in Python.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from json.decoder import scanstring
from typing import Optional

_WS = re.compile(r"[ \t\n\r]*")
_SKIP = json.JSONDecoder()


class ScanError(Exception):
    """The text is not what json.loads accepted: a scanner bug, never a property of the input."""


@dataclass
class Token:
    start: int  # offset of the opening quote
    end: int  # offset after the closing quote
    value: str


@dataclass
class SourceSpan:
    """A cell's `source`: one string token, or a list of them."""
    is_list: bool
    tokens: list[Token]
    open: int = -1  # list only: offset of '[' and after ']'
    close: int = -1

    @property
    def text(self) -> str:
        return "".join(t.value for t in self.tokens)


@dataclass
class CellSpan:
    cell_type: Optional[str] = None
    source: Optional[SourceSpan] = None


@dataclass
class NotebookSpans:
    cells: list[CellSpan] = field(default_factory=list)
    separator: str = ","  # the first separator after a value in any array or object, e.g. ", "


class _Scanner:
    def __init__(self, text: str) -> None:
        self.s = text
        self.separator: Optional[str] = None

    def ws(self, i: int) -> int:
        return _WS.match(self.s, i).end()

    def expect(self, i: int, char: str) -> int:
        if self.s[i:i + 1] != char:
            raise ScanError(f"expected {char!r} at offset {i}")
        return i + 1

    def string(self, i: int) -> Token:
        self.expect(i, '"')
        value, end = scanstring(self.s, i + 1)
        return Token(i, end, value)

    def skip(self, i: int) -> int:
        try:
            return _SKIP.raw_decode(self.s, i)[1]
        except json.JSONDecodeError as exc:
            raise ScanError(str(exc)) from None

    def walk(self, i: int, close: str, member) -> int:
        """Run `member(offset) -> end` over the members of the object or array opened just before
        `i`; returns the offset after its closing bracket."""
        i = self.ws(i)
        if self.s[i:i + 1] == close:
            return i + 1
        while True:
            j = self.ws(member(i))
            if self.s[j:j + 1] == close:
                return j + 1
            i = self.ws(self.expect(j, ","))
            if self.separator is None:
                self.separator = self.s[j:i]

    def keyed(self, handlers: dict):
        """An object member parser: `"key": value`, with handlers for the keys that matter."""
        def member(i: int) -> int:
            key = self.string(i)
            j = self.expect(self.ws(key.end), ":")
            j = self.ws(j)
            handler = handlers.get(key.value)
            return handler(j) if handler else self.skip(j)
        return member


def scan(text: str) -> NotebookSpans:
    sc = _Scanner(text)
    spans = NotebookSpans()

    def source(i: int, cell: CellSpan) -> int:
        if sc.s[i:i + 1] == '"':
            token = sc.string(i)
            cell.source = SourceSpan(False, [token])
            return token.end
        start = sc.expect(i, "[")
        tokens: list[Token] = []

        def item(j: int) -> int:
            token = sc.string(j)
            tokens.append(token)
            return token.end
        end = sc.walk(start, "]", item)
        cell.source = SourceSpan(True, tokens, i, end)
        return end

    def cell(i: int) -> int:
        span = CellSpan()
        spans.cells.append(span)

        def cell_type(j: int) -> int:
            token = sc.string(j)
            span.cell_type = token.value
            return token.end
        return sc.walk(sc.expect(i, "{"), "}", sc.keyed({"cell_type": cell_type, "source": lambda j: source(j, span)}))

    def cells(i: int) -> int:
        spans.cells.clear()  # a repeated key: the last one wins, as in json.loads
        return sc.walk(sc.expect(i, "["), "]", cell)

    i = sc.ws(0)
    end = sc.walk(sc.expect(i, "{"), "}", sc.keyed({"cells": cells}))
    if sc.ws(end) != len(text):
        raise ScanError("text after the notebook object")
    spans.separator = sc.separator or ","
    return spans
