"""A TOML reader that keeps positions: every string value and every key, with its full dotted
path and its place in the text. tomllib checks the file first, so this reader may assume valid
TOML and stays small. The dependency readers (pyproject.toml) and the config converter share it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Union

Path = tuple[Union[str, int], ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR = re.compile(r"[^,\]}\s#]+(?:[ T][0-9:.+\-Z]+)?")  # numbers, booleans, dates
_ESCAPE = re.compile(r'\\(?:u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[btnfr"\\]|[ \t]*\r?\n\s*)')
_SIMPLE_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


@dataclass(frozen=True)
class Item:
    path: Path  # e.g. ("project", "dependencies", 0) or ("tool", "poetry", "dependencies", "torch")
    offset: int  # where the string (its opening quote) or the key starts
    value: str = ""  # the string's value, or the key's name
    is_key: bool = False
    start: int = 0  # the value's own text: after the opening quote, or the bare key
    end: int = 0
    verbatim: bool = False  # text[start:end] is exactly `value` (one line, no escapes)


class _Reader:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def skip(self, newlines: bool = True) -> None:
        """Whitespace and comments (and newlines, inside arrays and between statements)."""
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c in " \t" or (newlines and c in "\r\n"):
                self.i += 1
            elif c == "#":
                while self.i < len(s) and s[self.i] not in "\r\n":
                    self.i += 1
            else:
                return

    def items(self) -> Iterator[Item]:
        table: Path = ()
        s = self.s
        while True:
            self.skip()
            if self.i >= len(s):
                return
            if s[self.i] == "[":
                double = s.startswith("[[", self.i)
                self.i += 2 if double else 1
                table = tuple(part[1] for part in self.key())
                self.skip(False)
                self.i += 2 if double else 1
                continue
            yield from self.pair(table)

    def key(self) -> list[tuple[int, str, int, int, bool]]:
        """The parts of a (dotted) key: (offset, name, start, end, verbatim) each."""
        parts = []
        while True:
            self.skip(False)
            at = self.i
            c = self.s[self.i]
            if c in "\"'":
                parts.append((at, *self.string()))
            else:
                m = _BARE_KEY.match(self.s, self.i)
                if not m:
                    raise ValueError(f"bad key at offset {self.i}")
                parts.append((at, m.group(), m.start(), m.end(), True))
                self.i = m.end()
            self.skip(False)
            if self.i < len(self.s) and self.s[self.i] == ".":
                self.i += 1
                continue
            return parts

    def pair(self, table: Path) -> Iterator[Item]:
        parts = self.key()
        path = table + tuple(part[1] for part in parts)
        offset, name, start, end, verbatim = parts[-1]
        yield Item(path, offset, name, True, start, end, verbatim)
        self.skip(False)
        self.i += 1  # "="
        self.skip(False)
        yield from self.value(path)

    def value(self, path: Path) -> Iterator[Item]:
        s, at = self.s, self.i
        c = s[at]
        if c in "\"'":
            value, start, end, verbatim = self.string()
            yield Item(path, at, value, False, start, end, verbatim)
        elif c == "[":
            self.i += 1
            n = 0
            while True:
                self.skip()
                if s[self.i] == "]":
                    self.i += 1
                    return
                yield from self.value(path + (n,))
                n += 1
                self.skip()
                if s[self.i] == ",":
                    self.i += 1
        elif c == "{":
            self.i += 1
            while True:
                self.skip(False)
                if s[self.i] == "}":
                    self.i += 1
                    return
                yield from self.pair(path)
                self.skip(False)
                if s[self.i] == ",":
                    self.i += 1
        else:
            m = _SCALAR.match(s, at)
            self.i = m.end() if m else at + 1

    def string(self) -> tuple[str, int, int, bool]:
        """(value, start, end, verbatim) of the string at the reader's position."""
        s, i = self.s, self.i
        if s.startswith('"""', i) or s.startswith("'''", i):
            quote = s[i:i + 3]
            end = s.index(quote, i + 3)
            while quote == '"""' and _escaped(s, end):  # \""" is an escaped quote, then ""
                end = s.index(quote, end + 1)
            while s.startswith(quote[0], end + 3):  # up to two quotes may end the content
                end += 1
            self.i = end + 3
            raw = s[i + 3:end]
            if raw.startswith("\r\n"):
                raw = raw[2:]
            elif raw.startswith("\n"):
                raw = raw[1:]
            return (_unescape(raw) if quote == '"""' else raw), end - len(raw), end, False
        quote = s[i]
        j = i + 1
        while s[j] != quote:
            j += 2 if quote == '"' and s[j] == "\\" else 1
        self.i = j + 1
        raw = s[i + 1:j]
        if quote == '"' and "\\" in raw:
            return _unescape(raw), i + 1, j, False
        return raw, i + 1, j, True


def _escaped(s: str, at: int) -> bool:
    backslashes = 0
    while at - backslashes - 1 >= 0 and s[at - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _unescape(raw: str) -> str:
    def one(m: "re.Match") -> str:
        e = m.group()[1:]
        if e[0] in "uU":
            return chr(int(e[1:], 16))
        return _SIMPLE_ESCAPES.get(e, "")  # a line-ending backslash joins lines
    return _ESCAPE.sub(one, raw)


def scan(text: str) -> list[Item]:
    """Every key and string value of a valid TOML document, in order."""
    return list(_Reader(text).items())


# gpu2mlu's own settings (gpu2mlu.settings): they name CUDA things on purpose, so converting them
# would change what they mean. Paths are resolved, so every TOML spelling of the table is caught:
# [tool.gpu2mlu.env], dotted keys, quoted keys, inline tables.
OWN_TABLE = ("tool", "gpu2mlu")


def project_items(text: str) -> list[Item]:
    """scan(text) without gpu2mlu's own table: what the converters may act on and report."""
    return [item for item in scan(text) if item.path[:len(OWN_TABLE)] != OWN_TABLE]
