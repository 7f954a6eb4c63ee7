"""A tiny scanner for the few places where `ast` positions are not enough."""
from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"(?P<skip>[ \t\f\r\n]+|\\\r?\n|\\\r|#[^\r\n]*)"
    r"|(?P<str>[rRbBuUfF]{0,2}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^\\'\r\n])*'|\"(?:\\.|[^\\\"\r\n])*\"))"
    r"|(?P<name>[^\W\d]\w*)"
    r"|(?P<num>\d[\w.]*)"
    r"|(?P<op>\*\*|[^\s\w])",
    re.S,
)


@dataclass(frozen=True)
class Token:
    kind: str  # name, str, num, op
    value: str
    start: int
    end: int


def tokens(text: str, start: int, end: int) -> list[Token]:
    """Significant tokens of text[start:end]; whitespace, comments and continuations skipped."""
    result = []
    pos = start
    while pos < end:
        m = _TOKEN.match(text, pos, end)
        if m is None:  # something the scanner does not know: let callers give up
            raise ValueError(f"cannot scan at offset {pos}")
        kind = m.lastgroup
        if kind != "skip":
            result.append(Token(kind, m.group(), m.start(), m.end()))
        pos = m.end()
    return result


@dataclass(frozen=True)
class CallLayout:
    open: int  # offset of "("
    close: int  # offset of ")"
    arg_starts: tuple[int, ...]  # offset of each top-level argument's first token
    last_end: int  # end of the last argument's last token (or open + 1 when empty)
    trailing_comma: bool


def call_layout(text: str, func_end: int, call_end: int) -> CallLayout:
    """Where the parentheses and top-level arguments of a call are."""
    toks = tokens(text, func_end, call_end)
    if not toks or toks[0].value != "(" or toks[-1].value != ")":
        raise ValueError("not a call")
    depth = 0
    starts: list[int] = []
    expect_arg = True
    last_end = toks[0].end
    trailing = False
    for tok in toks[1:-1]:
        if depth == 0 and tok.value == ",":
            expect_arg = True
            trailing = True
            continue
        if expect_arg:
            starts.append(tok.start)
            expect_arg = False
        trailing = False
        if tok.value in "([{":
            depth += 1
        elif tok.value in ")]}":
            depth -= 1
        last_end = tok.end
    return CallLayout(toks[0].start, toks[-1].start, tuple(starts), last_end, trailing)
