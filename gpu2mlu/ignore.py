"""Inline suppressions: a `gpu2mlu: ignore[GM201]` comment silences that finding on its line.

`gpu2mlu: ignore[GM201, GM403]` names several; a bare `gpu2mlu: ignore` silences every finding
on the line. The marker is found in any comment syntax (`#`, `//`, `<!-- -->`), so it works the
same in Python, shell, YAML, TOML, requirement files and C++.
"""
from __future__ import annotations

import re
from typing import Iterable, Optional

from gpu2mlu.results import Finding
from gpu2mlu.source import LineIndex

_MARKER = re.compile(r"gpu2mlu:[ \t]*ignore(?:\[([A-Za-z0-9_, \t-]*)\])?")


def ignored_ids(line_text: str) -> Optional[frozenset]:
    """IDs silenced on this line; an empty set means all of them; None means no marker."""
    m = _MARKER.search(line_text)
    if m is None:
        return None
    if m.group(1) is None:
        return frozenset()
    return frozenset(part.strip() for part in m.group(1).split(",") if part.strip())


def keep(finding: Finding, line_text: str) -> bool:
    ids = ignored_ids(line_text)
    return ids is None or (bool(ids) and finding.id not in ids)


def kept_findings(text: str, findings: Iterable[Finding], disabled: frozenset = frozenset()) -> list[Finding]:
    """The findings of a converted `text`, less disabled IDs and those silenced on their line
    (for a notebook finding, its line within its cell)."""
    findings = [f for f in findings if f.id not in disabled]
    if not findings or "gpu2mlu:" not in text:
        return findings
    line_text = _line_reader(text)
    return [f for f in findings if keep(f, line_text(f))]


def _line_reader(text: str):
    index = LineIndex(text)
    cells: Optional[list[str]] = None

    def line_text(finding: Finding) -> str:
        nonlocal cells
        if finding.cell is None:
            return index.line_text(finding.line) if 0 < finding.line <= len(index.starts) else ""
        if cells is None:
            from gpu2mlu.notebook import cell_sources  # notebooks only
            cells = cell_sources(text)
        lines = cells[finding.cell - 1].splitlines() if 0 < finding.cell <= len(cells) else []
        return lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
    return line_text
