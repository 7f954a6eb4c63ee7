"""How much of a run report.html inlines, so that the page opens in a browser in seconds.

A browser's time goes with the number of elements, so the page shows at most FILE_DIFF_LINES diff
lines per file and PAGE_DIFF_LINES in all (with a guard on their characters, for very long lines),
and at most FILE_ROWS rows per file and PAGE_ROWS in all in each table. A normal project is shown
in full; of a huge file, its first hunks. What is cut is said where it is cut, with a link to the
file next to report.html that has all of it: changes.patch for diffs, report.md and report.json for
rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from gpu2mlu.report.diff import DiffLine, FileDiff, Hunk

FILE_DIFF_LINES = 2_000
FILE_DIFF_CHARS = 200_000  # of code, before escaping: a guard against very long lines
PAGE_DIFF_LINES = 40_000
PAGE_DIFF_CHARS = 4_000_000
FILE_ROWS = 1_000  # per table
PAGE_ROWS = 10_000  # per table


@dataclass
class Allowance:
    """Diff lines (and their characters) still to be shown."""
    lines: int
    chars: int

    def for_file(self) -> Allowance:
        return Allowance(min(FILE_DIFF_LINES, self.lines), min(FILE_DIFF_CHARS, self.chars))

    def spend(self, used: Allowance, start: Allowance) -> None:
        """Charge the page with what a file (given `start`, left with `used`) showed."""
        self.lines -= start.lines - used.lines
        self.chars -= start.chars - used.chars


def page_allowance() -> Allowance:
    return Allowance(PAGE_DIFF_LINES, PAGE_DIFF_CHARS)


@dataclass(frozen=True)
class Cut:
    hunks: list[Hunk]  # whole hunks, then the start of the one the cap falls in
    hidden: int  # changed (+/-) lines of the diff not among them


def _group_size(diff: FileDiff, group: list[tuple]) -> tuple[int, int]:
    """Lines and characters a hunk would show, counted without building it."""
    lines = chars = 0
    for tag, i1, i2, j1, j2 in group:
        lines += i2 - i1
        chars += sum(map(len, diff.a[i1:i2]))
        if tag != "equal":
            lines += j2 - j1
            chars += sum(map(len, diff.b[j1:j2]))
    return lines, chars


def _take(allowance: Allowance, line: DiffLine) -> bool:
    if allowance.lines < 1 or len(line.text) > allowance.chars:
        return False
    allowance.lines -= 1
    allowance.chars -= len(line.text)
    return True


def _prefix(diff: FileDiff, group: list[tuple], allowance: Allowance) -> list[DiffLine]:
    """The start of a hunk, as much as fits. A changed run that does not fit in full shows its
    first removed and its first added lines in equal numbers, so that both sides show."""
    a, b = diff.a, diff.b
    kept: list[DiffLine] = []
    for tag, i1, i2, j1, j2 in group:
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2)):
                line = DiffLine(" ", i + 1, j + 1, a[i])
                if not _take(allowance, line):
                    return kept
                kept.append(line)
            continue
        removed: list[DiffLine] = []
        added: list[DiffLine] = []
        for k in range(max(i2 - i1, j2 - j1)):
            pair = ([DiffLine("-", i1 + k + 1, None, a[i1 + k])] if i1 + k < i2 else []) + \
                   ([DiffLine("+", None, j1 + k + 1, b[j1 + k])] if j1 + k < j2 else [])
            for line in pair:
                if not _take(allowance, line):
                    return kept + removed + added
                (removed if line.op == "-" else added).append(line)
        kept += removed + added
    return kept


def cut(diff: FileDiff, allowance: Allowance) -> Cut:
    """The hunks of `diff` that fit `allowance` (which is spent); DiffLines are built only for them."""
    shown: list[Hunk] = []
    for group in diff.groups:
        lines, chars = _group_size(diff, group)
        if lines <= allowance.lines and chars <= allowance.chars:
            allowance.lines -= lines
            allowance.chars -= chars
            shown.append(diff.hunk(group))
            continue
        kept = _prefix(diff, group, allowance)
        if kept:
            # the header still names the whole hunk: what is shown is the start of that hunk
            whole = diff.header(group)
            shown.append(Hunk(*whole, tuple(kept)))
        break
    changed = sum(line.op != " " for hunk in shown for line in hunk.lines)
    return Cut(shown, diff.removed + diff.added - changed)
