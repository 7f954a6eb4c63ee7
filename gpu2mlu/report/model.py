"""The run-level result that every report format renders."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

from gpu2mlu.kinds import KINDS
from gpu2mlu.settings import Settings
from gpu2mlu.results import CONVERTED, COPIED, EXCLUDED, LINKED, SKIPPED, UNCHANGED, FileResult

TIMING_KEYS = ("scan", "parse", "edit", "read", "write")


@dataclass
class RunResult:
    input: str
    output: str
    line: str
    files: list[FileResult]
    report_md: str = ""
    report_json: str = ""
    wall_seconds: float = 0.0
    summary: dict = field(default_factory=dict)
    settings: Optional[Settings] = None
    report_html: str = ""
    patch: str = ""
    backup: str = ""  # --in-place: the folder holding the originals of the changed files

    @property
    def skipped(self) -> list[FileResult]:
        return [f for f in self.files if f.status == SKIPPED]

    @property
    def exit_code(self) -> int:
        return 1 if self.skipped else 0


def location(path: str, item) -> str:
    """`path:line`, or `nb.ipynb:cell 3:line 2` for a change or finding inside a notebook cell."""
    if getattr(item, "cell", None) is not None:
        return f"{path}:cell {item.cell}:line {item.line}"
    if not item.line:  # a whole-file site (a program a launch script ran, seen at run time)
        return path
    return f"{path}:{item.line}"


def conversion(files) -> dict:
    """The conversion rate peer tools report: CUDA sites gpu2mlu converted automatically
    (`automatic`: changed lines per rule, the added `import torch_mlu` lines not counted) against
    sites that need a human (`manual`: findings); `rate` = automatic / (automatic + manual),
    None when there is no site at all."""
    automatic = sum(1 for f in files for c in f.changes if not c.added)
    manual = sum(len(f.findings) for f in files)
    total = automatic + manual
    return {"automatic": automatic, "manual": manual, "rate": round(automatic / total, 4) if total else None}


def summarize(run: RunResult) -> dict:
    statuses = Counter(f.status for f in run.files)
    kinds = Counter(f.kind for f in run.files)
    by_rule: Counter = Counter()
    by_id: Counter = Counter()
    timing = dict.fromkeys(TIMING_KEYS, 0.0)
    lines_changed = 0
    for f in run.files:
        for change in f.changes:
            by_rule[change.rule] += 1
        lines_changed += len({(c.cell, c.line, c.added, c.after) for c in f.changes})
        for finding in f.findings:
            by_id[finding.id] += 1
        for key, value in f.timing.items():
            timing[key] = timing.get(key, 0.0) + value
    timing = {k: round(v, 4) for k, v in timing.items()}
    timing["total"] = round(run.wall_seconds, 4)
    return {
        "files": {
            "scanned": len(run.files),
            "converted": statuses[CONVERTED],
            "unchanged": statuses[UNCHANGED],
            "copied": statuses[COPIED],
            "linked": statuses[LINKED],
            "skipped": statuses[SKIPPED],
            "excluded": statuses[EXCLUDED],
        },
        "files_by_kind": {kind: kinds[kind] for kind in KINDS if kinds[kind]},
        "changes": sum(by_rule.values()),
        "changed_lines": lines_changed,
        "changes_by_rule": dict(sorted(by_rule.items())),
        "findings": sum(by_id.values()),
        "findings_by_id": dict(sorted(by_id.items())),
        "conversion": conversion(run.files),
        "timing": timing,
    }
