"""TOML: the keys and one-line strings of gpu2mlu.toml_positions, after tomllib has accepted the text.
gpu2mlu's own [tool.gpu2mlu] table is never among them.

Multi-line strings and basic strings with escapes are left alone: their source is not their value.
"""
from __future__ import annotations

from typing import Iterator

from gpu2mlu.config.scalars import ConfigSyntaxError, Scalar
from gpu2mlu.toml_positions import project_items

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

FORMAT = "TOML"


def scalars(text: str) -> Iterator[Scalar]:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigSyntaxError(str(exc)) from None
    return _scalars(text)


def _scalars(text: str) -> Iterator[Scalar]:
    for item in project_items(text):
        if not item.verbatim:
            continue
        if item.is_key:
            yield Scalar(item.start, item.end, item.value, is_key=True)
            continue
        under = next((part for part in reversed(item.path) if isinstance(part, str)), None)
        yield Scalar(item.start, item.end, item.value, item=isinstance(item.path[-1], int), under=under)
