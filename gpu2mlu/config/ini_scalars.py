"""INI / .cfg: a line lexer with configparser's rules, after configparser has read the text.

Sections `[name]`, options `key = value` or `key: value` (the first '=' or ':' splits), full-line
`#`/`;` comments, and continuation lines indented deeper than their option line. A value is a
scalar only as a whole: the stripped text of the option line or of one continuation line, without
a trailing ` # comment` / ` ; comment` and optionally in quotes. Files without a section header
(common for .cfg) are read as if they had one.
"""
from __future__ import annotations

import configparser
import re
from typing import Iterator, Optional

from gpu2mlu.config.scalars import ConfigSyntaxError, Scalar

FORMAT = "INI"

_LINE = re.compile(r"[^\n]*\n?")  # configparser reads lines split at \n only; \r is whitespace
_SECTION = re.compile(r"\[(?P<header>.+)\]")
_OPTION = re.compile(r"(?P<option>.*?)\s*(?P<vi>[=:])\s*(?P<value>.*)$")
_INLINE_COMMENT = re.compile(r"\s[#;]")
_COMMENT_PREFIXES = ("#", ";")


def scalars(text: str) -> Iterator[Scalar]:
    _validate(text)
    return _lex(text)


def _validate(text: str) -> None:
    def read(source: str) -> None:
        parser = configparser.RawConfigParser(
            strict=False, allow_no_value=True, interpolation=None, delimiters=("=", ":"),
            comment_prefixes=_COMMENT_PREFIXES, empty_lines_in_values=True)
        parser.optionxform = str
        parser.read_string(source)

    try:
        try:
            read(text)
        except configparser.MissingSectionHeaderError:
            read("[gpu2mlu]\n" + text)
    except configparser.ParsingError as exc:
        lines = ", ".join(str(n) for n, _ in exc.errors[:3])
        raise ConfigSyntaxError(f"cannot read line {lines}") from None
    except configparser.Error as exc:
        raise ConfigSyntaxError(str(exc).splitlines()[0]) from None


def _lex(text: str) -> Iterator[Scalar]:
    option: Optional[str] = None  # the option whose value continuation lines extend
    indent_level = 0
    for m in _LINE.finditer(text):
        line = m.group()
        if not line:
            break
        stripped = line.strip()
        if not stripped or stripped.startswith(_COMMENT_PREFIXES):
            continue
        indent = len(line) - len(line.lstrip())
        if option is not None and indent > indent_level:
            piece = _piece(line, m.start(), 0, option)
            if piece is not None:
                yield piece
            continue
        indent_level = indent
        if _SECTION.match(stripped):
            option = None
            continue
        body_start = m.start() + indent
        opt = _OPTION.match(stripped)
        if opt is None:  # a valueless option (allow_no_value)
            option = stripped
            yield Scalar(body_start, body_start + len(stripped), stripped, is_key=True)
            continue
        option = opt.group("option").rstrip()
        yield Scalar(body_start, body_start + len(option), option, is_key=True)
        piece = _piece(line, m.start(), indent + opt.start("value"), option)
        if piece is not None:
            yield piece


def _piece(line: str, line_start: int, pos: int, under: str) -> Optional[Scalar]:
    """The value text of `line` from `pos`: stripped, without an inline comment or quotes."""
    body = line[pos:]
    cut = _INLINE_COMMENT.search(body)
    if cut:
        body = body[:cut.start()]
    lead = len(body) - len(body.lstrip())
    value = body.strip()
    start = line_start + pos + lead
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value, start = value[1:-1], start + 1
    if not value:
        return None
    return Scalar(start, start + len(value), value, item=True, under=under)
