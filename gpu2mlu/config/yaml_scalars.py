"""YAML: scalar events from PyYAML's parser, with their source spans.

The parser's event stream is read with an explicit stack: no node graph is built (nothing is
constructed, so tags are never executed) and no recursion happens, so deep nesting cannot
exhaust the stack (libyaml's own composer recurses in C and crashes past ~20,000 levels). Marks
are character offsets into the str, with the C parser as with the pure-Python one. A scalar is
editable when its source text ends with its value (plain style, after any &anchor / !tag) or
with its value between quotes (no escapes, no folding). Block scalars (| and >) are prose.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Optional

import yaml

from gpu2mlu.config.scalars import ConfigSyntaxError, Scalar

FORMAT = "YAML"

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PROPERTIES = re.compile(r"(?:[&!][^ \t\r\n]*[ \t\r\n]+)+\Z")  # "&anchor !!str " before a value


@dataclass
class _Collection:
    is_mapping: bool
    under: Optional[str]  # the key this collection is the value of
    expect_key: bool = True  # mappings alternate key, value, key, ...
    key: Optional[str] = None  # the key whose value is read next


def scalars(text: str) -> Iterator[Scalar]:
    try:
        yield from _scalars(text, yaml.parse(text, Loader=_LOADER))
    except yaml.YAMLError as exc:
        raise ConfigSyntaxError(_reason(exc)) from None


def _scalars(text: str, events) -> Iterator[Scalar]:
    stack: list[_Collection] = []
    anchors: dict[str, Optional[str]] = {}  # anchor → its scalar value (None: a collection)
    for event in events:
        if isinstance(event, yaml.DocumentStartEvent):
            stack.clear()
            anchors.clear()
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in anchors:
                raise ConfigSyntaxError(f"found undefined alias {event.anchor!r}, line {event.start_mark.line + 1}")
            _place(stack, anchors[event.anchor])
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                anchors[event.anchor] = event.value
            is_key, item, under = _place(stack, event.value)
            span = _span(text, event)
            if span is not None:
                yield Scalar(span[0], span[1], event.value, is_key=is_key, item=item, under=under)
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if event.anchor is not None:
                anchors[event.anchor] = None
            _, _, under = _place(stack, None)
            stack.append(_Collection(isinstance(event, yaml.MappingStartEvent), under))


def _place(stack: list[_Collection], value: Optional[str]) -> tuple[bool, bool, Optional[str]]:
    """Where the next node sits: (is a mapping key, is a sequence item, the key it belongs to)."""
    if not stack:
        return False, False, None
    parent = stack[-1]
    if not parent.is_mapping:
        return False, True, parent.under
    if parent.expect_key:
        parent.expect_key, parent.key = False, value
        return True, False, parent.under
    parent.expect_key = True
    return False, False, parent.key


def _span(text: str, event: yaml.ScalarEvent) -> Optional[tuple[int, int]]:
    """Offsets of the scalar's value in the source, when the source spells it literally."""
    start, end = event.start_mark.index, event.end_mark.index
    value, style = event.value, event.style
    if not style:  # plain
        value_start = opening = end - len(value)
        value_end = end
    elif style in ("'", '"'):
        value_end = end - 1
        value_start = value_end - len(value)
        opening = value_start - 1
        if text[value_end:end] != style or text[opening:value_start] != style:
            return None
    else:  # block scalars | and >: prose
        return None
    if opening < start or text[value_start:value_end] != value:
        return None  # escapes, folding or line continuation: the source is not the value
    if opening > start and not _PROPERTIES.match(text, start, opening):
        return None
    return value_start, value_end


def _reason(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    return f"{problem}, line {mark.line + 1}" if mark is not None else problem
