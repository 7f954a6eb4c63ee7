"""Edits are the one currency of the converter: a span of the decoded text and its new text."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Edit:
    start: int
    end: int
    text: str
    rule: str

    @property
    def is_insertion(self) -> bool:
        return self.start == self.end


class EditConflict(Exception):
    """Two edits touch the same span: a bug in a rule, never a property of the input."""


def normalize(edits: list[Edit]) -> list[Edit]:
    """Sort, drop exact duplicates and reject overlapping edits."""
    result: list[Edit] = []
    for edit in sorted(set(edits)):
        if result:
            prev = result[-1]
            if edit.start < prev.end or (edit.start == prev.start and edit.start == edit.end == prev.end):
                raise EditConflict(f"{prev} overlaps {edit}")
        result.append(edit)
    return result


def apply_edits(text: str, edits: list[Edit]) -> str:
    parts = []
    pos = 0
    for edit in normalize(edits):
        parts.append(text[pos:edit.start])
        parts.append(edit.text)
        pos = edit.end
    parts.append(text[pos:])
    return "".join(parts)
