"""From edits on a text to a Conversion: the new text plus one report row per changed line.

Every file kind builds its report rows here (Python adds its import rows on top), so all kinds
report changes the same way.
"""
from __future__ import annotations

from typing import Iterable

from gpu2mlu.edits import Edit, EditConflict, apply_edits, normalize
from gpu2mlu.results import Change, Conversion, Finding
from gpu2mlu.source import LineIndex


def changes_from_edits(text: str, edits: list[Edit], index: LineIndex = None) -> list[Change]:
    """One Change per changed line (or run of lines an edit spans) and rule.

    An insertion of whole lines at the start of a line is reported as added lines, numbered
    like the Python import rows: the input line they follow.
    """
    index = index or LineIndex(text)
    changes: list[Change] = []
    clusters: list[list] = []  # [first line, last line, [edits]]
    for edit in normalize(edits):
        starts_line = edit.start == index.starts[index.line_of(edit.start) - 1]
        if edit.is_insertion and starts_line and edit.text.endswith(("\n", "\r")):
            after_line = index.line_of(edit.start) - 1
            for added in edit.text.splitlines():
                changes.append(Change(after_line, edit.rule, "", added.strip(), added=True))
            continue
        first = index.line_of(edit.start)
        last = index.line_of(max(edit.start, edit.end - 1))
        if clusters and first <= clusters[-1][1]:
            clusters[-1][1] = max(clusters[-1][1], last)
            clusters[-1][2].append(edit)
        else:
            clusters.append([first, last, [edit]])
    for first, last, group in clusters:
        start = index.starts[first - 1]
        end = index.line_span(last)[1]
        end = max(end, max(e.end for e in group))
        before = text[start:end]
        after = apply_edits(before, [Edit(e.start - start, e.end - start, e.text, e.rule) for e in group])
        for rule in dict.fromkeys(e.rule for e in group):
            changes.append(Change(first, rule, before.strip(), after.strip()))
    changes.sort(key=lambda c: (c.line, not c.added))
    return changes


def conversion_from_edits(text: str, edits: Iterable[Edit], findings: Iterable[Finding] = (),
                          disabled: frozenset = frozenset()) -> Conversion:
    """Apply `edits` to `text`; raises EditConflict when two edits overlap (a rule bug).

    `disabled`: rule families the project switched off (RuleSet.disabled); their edits are dropped.
    """
    edits = normalize([e for e in edits if e.rule not in disabled])
    new_text = apply_edits(text, edits) if edits else text
    changes = changes_from_edits(text, edits) if edits else []
    unique = sorted(set(findings), key=lambda f: (f.cell or 0, f.line, f.id, f.message))
    return Conversion(new_text, tuple(changes), tuple(unique), tuple(edits))


__all__ = ["EditConflict", "changes_from_edits", "conversion_from_edits"]
