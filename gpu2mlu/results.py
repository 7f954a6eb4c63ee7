"""Per-file and per-run outcomes, as plain values the reports are built from."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from gpu2mlu.edits import Edit


@dataclass(frozen=True)
class Change:
    line: int  # input line (in a notebook: the line within the cell)
    rule: str
    before: str
    after: str
    added: bool = False  # a new line rather than a changed one
    cell: Optional[int] = None  # notebooks: 1-based cell number, as Jupyter shows the cells


@dataclass(frozen=True)
class Finding:
    line: int  # input line of the flagged token (in a notebook: the line within the cell)
    id: str
    message: str
    suggestion: str
    cell: Optional[int] = None


@dataclass(frozen=True)
class Conversion:
    """What the converter made of one source text."""
    text: str
    changes: tuple[Change, ...] = ()
    findings: tuple[Finding, ...] = ()
    edits: tuple[Edit, ...] = ()  # the normalized edits that turn the input into `text`

    @property
    def changed(self) -> bool:
        return bool(self.changes)


# File statuses, as the reports and the exit code use them.
CONVERTED = "converted"  # a source file with at least one change
UNCHANGED = "unchanged"  # a source file that needed no change
COPIED = "copied"  # not a source file: copied byte for byte
LINKED = "linked"  # a symlink, recreated as a symlink
SKIPPED = "skipped"  # copied unchanged because it could not be converted
EXCLUDED = "excluded"  # copied unchanged because the settings (include/exclude) left it out

FOLDER = "folder"  # the kind of a skipped entry that is a folder (one that cannot be listed)


@dataclass
class FileResult:
    path: str  # POSIX path relative to the input root
    status: str
    changes: list[Change] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    reason: str = ""  # why a file was skipped
    timing: dict[str, float] = field(default_factory=dict)
    kind: str = "other"  # python, notebook, shell, ... (see gpu2mlu.kinds)
    # Decoded input and output of a changed file, kept only when the run asks for them
    # (diffs, patches, the HTML report).
    before: Optional[str] = None
    after: Optional[str] = None
    encoding: str = "utf-8"  # codec of a decoded file ("utf-8-sig" when it starts with a BOM)
