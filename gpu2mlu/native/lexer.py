"""A C/C++/CUDA lexer that yields only what code uses: identifiers (`::`-qualified names as one),
`#include` header names and `<<<` kernel launches. Comments, string and character literals
(raw strings included), numbers and the text of `#error`/`#warning` lines are skipped, so a
comment or a message that mentions CUDA is not a use.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

IDENTIFIER = "identifier"
INCLUDE = "include"
LAUNCH = "launch"

_TOKENS = re.compile(r"""
    (?P<include>^[ \t]*\#[ \t]*include(?:_next)?[ \t]*(?:<(?P<angle>[^>\n]*)>|"(?P<quote>[^"\n]*)"))
  | (?P<message>^[ \t]*\#[ \t]*(?:error|warning)\b(?:[^\n\\]|\\.|\\\n)*)
  | (?P<line_comment>//(?:[^\n\\]|\\.|\\\n)*)
  | (?P<block_comment>/\*.*?(?:\*/|\Z))
  | (?P<raw>(?:u8|[uUL])?R"(?P<delim>[^()\\\s"]{0,16})\(.*?(?:\)(?P=delim)"|\Z))
  | (?P<string>(?:u8|[uUL])?"(?:[^"\\\n]|\\.|\\\n)*"?)
  | (?P<char>(?:u8|[uUL])?'(?:[^'\\\n]|\\.)*'?)
  | (?P<number>\.?\d(?:[eEpP][+-]|'(?=\w)|[\w.])*)
  | (?P<identifier>[A-Za-z_]\w*(?:[ \t]*::[ \t]*[A-Za-z_]\w*)*)
  | (?P<launch><<<)
""", re.X | re.M | re.S)
_SPACES = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class Token:
    kind: str  # IDENTIFIER, INCLUDE or LAUNCH
    text: str  # the identifier (spaces around `::` removed), the header name, or "<<<"
    offset: int


def code_tokens(text: str) -> Iterator[Token]:
    for m in _TOKENS.finditer(text):
        kind = m.lastgroup  # the outer group of the alternative that matched
        if kind == "identifier":
            yield Token(IDENTIFIER, _SPACES.sub("", m.group()), m.start())
        elif kind == "include":
            header = m.group("angle") if m.group("angle") is not None else m.group("quote")
            yield Token(INCLUDE, header.strip(), m.start())
        elif kind == "launch":
            yield Token(LAUNCH, "<<<", m.start())


def has_code(text: str) -> bool:
    """Whether anything but comments and whitespace is left."""
    rest = _TOKENS.sub(lambda m: "" if m.lastgroup in ("line_comment", "block_comment") else "x", text)
    return bool(rest.strip())
