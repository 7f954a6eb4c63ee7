"""Inline suppressions: a `gpu2mlu: ignore[GM201]` comment silences that finding on its line.

`gpu2mlu: ignore[GM201, GM403]` names several; a bare `gpu2mlu: ignore` silences every finding
on the line. The marker is found in any comment syntax (`#`, `//`, `<!-- -->`), so it works the
same in Python, shell, YAML, TOML, requirement files and C++.
"""
from __future__ import annotations

import re
from typing import Iterable, Optional

from gpu2mlu.results import Finding

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


def filter_findings(findings: Iterable[Finding], line_text, disabled: frozenset = frozenset()) -> list[Finding]:
    """Drop disabled IDs and findings silenced on their line; `line_text(finding)` gives the line."""
    kept = []
    for finding in findings:
        if finding.id in disabled:
            continue
        if "gpu2mlu" in (text := line_text(finding)) and not keep(finding, text):
            continue
        kept.append(finding)
    return kept
