"""What every format lexer hands to the config converter: scalars whose source text is their value.

A lexer yields only scalars it can edit in place: the span [start, end) of the text holds exactly
`value` (quotes excluded). Escaped strings, multi-line strings and YAML block scalars are never
yielded, so an edit can never re-spell a value the reader would decode differently.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Scalar:
    start: int
    end: int
    value: str
    is_key: bool = False  # a mapping key (a TOML/INI key, a JSON member name)
    item: bool = False  # a list item (YAML sequence, JSON/TOML array, INI multi-line value)
    under: Optional[str] = None  # the key this value (or its list) belongs to


class ConfigSyntaxError(Exception):
    """The file does not parse as its format; the message is a short reason with a line number."""
