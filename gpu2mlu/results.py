"""Per-file and per-run outcomes, as plain values the reports are built from."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Change:
    line: int  # input line
    rule: str
    before: str
    after: str
    added: bool = False  # a new line rather than a changed one


@dataclass(frozen=True)
class Finding:
    line: int  # input line of the flagged token
    id: str
    message: str
    suggestion: str


@dataclass(frozen=True)
class Conversion:
    """What the converter made of one source text."""
    text: str
    changes: tuple[Change, ...] = ()
    findings: tuple[Finding, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.changes)


# File statuses, as the reports and the exit code use them.
CONVERTED = "converted"  # a source file with at least one change
UNCHANGED = "unchanged"  # a source file that needed no change
COPIED = "copied"  # not a source file: copied byte for byte
LINKED = "linked"  # a symlink, recreated as a symlink
SKIPPED = "skipped"  # copied unchanged because it could not be converted


@dataclass
class FileResult:
    path: str  # POSIX path relative to the input root
    status: str
    changes: list[Change] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    reason: str = ""  # why a file was skipped
    timing: dict[str, float] = field(default_factory=dict)
