"""Qualified-name lookups in the rule table."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from gpu2mlu.rules import RuleSet
from gpu2mlu.rules.schema import Entry


@dataclass(frozen=True)
class Lookup:
    entry: Entry
    length: int  # segments of the name the entry covers
    unknown_member: Optional[str] = None  # set when a closed module has no such member

    def new_name(self, segments: list[str]) -> str:
        """The converted spelling of segments[:length]."""
        if self.unknown_member or self.entry.target is None:
            return ".".join(segments[:self.length])
        return self.entry.target


def lookup(rules: RuleSet, segments: list[str]) -> Optional[Lookup]:
    """The longest prefix of `segments` that the rule table knows."""
    entries = rules.entries
    for length in range(len(segments), 0, -1):
        entry = entries.get(".".join(segments[:length]))
        if entry is None:
            continue
        if entry.is_module and entry.closed and length < len(segments):
            return Lookup(entry, length, unknown_member=".".join(segments[:length + 1]))
        return Lookup(entry, length)
    return None


def map_name(rules: RuleSet, qualified: str) -> str:
    """What a fully qualified name becomes (unchanged when unknown or unsupported)."""
    segments = qualified.split(".")
    found = lookup(rules, segments)
    if found is None:
        return qualified
    head = found.new_name(segments)
    rest = segments[found.length:]
    return ".".join([head, *rest]) if rest else head
