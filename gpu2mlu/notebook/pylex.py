"""Just enough of Python's lexer to know where logical lines start: open brackets, strings that
run over lines and backslash continuations. IPython escapes (`!cmd`, `%magic`) only count at the
start of a logical line, never inside a multi-line string or an open bracket.
"""
from __future__ import annotations

from dataclasses import dataclass

_TRIPLE = ('"""', "'''")


@dataclass
class LineLexer:
    depth: int = 0  # open brackets
    quote: str = ""  # delimiter of the string still open at the end of the last line
    continued: bool = False  # the last line ended with a backslash outside a string

    @property
    def at_statement_start(self) -> bool:
        return not self.depth and not self.quote and not self.continued

    def copy(self) -> "LineLexer":
        return LineLexer(self.depth, self.quote, self.continued)

    def feed(self, line: str) -> int:
        """Advance over one physical line (without its newline); returns where its code ends
        (the offset of a comment, or the line's length)."""
        self.continued = False
        i, n = 0, len(line)
        while i < n:
            if self.quote:
                i = self._in_string(line, i)
                continue
            ch = line[i]
            if ch == "#":
                return i
            if ch in "'\"":
                self.quote = line[i:i + 3] if line[i:i + 3] in _TRIPLE else ch
                i += len(self.quote)
                continue
            if ch in "([{":
                self.depth += 1
            elif ch in ")]}":
                self.depth = max(0, self.depth - 1)
            elif ch == "\\" and i == n - 1:
                self.continued = True
            i += 1
        return n

    def _in_string(self, line: str, i: int) -> int:
        n = len(line)
        while i < n:
            ch = line[i]
            if ch == "\\":
                if i == n - 1:  # an escaped newline: the string goes on
                    return n
                i += 2
                continue
            if line.startswith(self.quote, i):
                i += len(self.quote)
                self.quote = ""
                return i
            i += 1
        if self.quote not in _TRIPLE:
            self.quote = ""  # an unterminated one-line string: Python stops it here too
        return n
