"""The hunks the HTML report draws (`hunks`), and one file's git patch as text (`unified_diff`).

The report numbers lines the way the converters do (gpu2mlu.source.LineIndex: "\\r\\n", "\\r" or
"\\n"), so its line numbers are the ones in the change and finding rows; the patch follows git, for
which a line ends at "\\n" only (gpu2mlu.report.patch).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Optional

from gpu2mlu.report.patch import file_bytes, file_diff, grouped_opcodes

CONTEXT = 3
NO_NEWLINE = "\\ No newline at end of file"

_SOURCE_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")


@dataclass(frozen=True)
class DiffLine:
    op: str  # " " context, "-" removed, "+" added
    old: Optional[int]  # 1-based line number in the input; None for an added line
    new: Optional[int]  # 1-based line number in the output; None for a removed line
    text: str  # the line with its line ending ("" when it is the file's last line without one)

    @property
    def content(self) -> str:
        return self.text.rstrip("\r\n")

    @property
    def ends_file_without_newline(self) -> bool:
        return not self.text.endswith(("\n", "\r"))


@dataclass(frozen=True)
class Hunk:
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    lines: tuple[DiffLine, ...]

    @property
    def header(self) -> str:
        return f"@@ -{_range(self.old_start, self.old_count)} +{_range(self.new_start, self.new_count)} @@"


def _range(start: int, count: int) -> str:
    # As diff and git write it: no count when it is 1; an empty range names the line before it.
    if count == 1:
        return str(start)
    return f"{start if count else start - 1},{count}"


def source_lines(text: str) -> list[str]:
    return _SOURCE_LINE.findall(text)


@dataclass(frozen=True)
class FileDiff:
    """The hunks between two texts, built one at a time: a report that shows only the first few
    hunks of a huge diff never holds a DiffLine for the rest."""
    a: list[str]
    b: list[str]
    groups: list[list[tuple]]

    @property
    def removed(self) -> int:
        return sum(i2 - i1 for group in self.groups for tag, i1, i2, _, _ in group if tag != "equal")

    @property
    def added(self) -> int:
        return sum(j2 - j1 for group in self.groups for tag, _, _, j1, j2 in group if tag != "equal")

    @staticmethod
    def header(group: list[tuple]) -> tuple[int, int, int, int]:
        """old_start, old_count, new_start, new_count of the hunk of `group`."""
        _, i1, _, j1, _ = group[0]
        _, _, i2, _, j2 = group[-1]
        return i1 + 1, i2 - i1, j1 + 1, j2 - j1

    def hunk(self, group: list[tuple]) -> Hunk:
        a, b = self.a, self.b
        lines: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine(" ", i + 1, j + 1, a[i]) for i, j in zip(range(i1, i2), range(j1, j2))]
                continue
            lines += [DiffLine("-", i + 1, None, a[i]) for i in range(i1, i2)]
            lines += [DiffLine("+", None, j + 1, b[j]) for j in range(j1, j2)]
        return Hunk(*self.header(group), tuple(lines))

    def hunks(self) -> Iterator[Hunk]:
        return (self.hunk(group) for group in self.groups)


def diff_lines(a: list[str], b: list[str], context: int = CONTEXT) -> FileDiff:
    """The diff between two lists of lines (each with its line ending)."""
    return FileDiff(a, b, grouped_opcodes(a, b, context))


def diff_hunks(a: list[str], b: list[str], context: int = CONTEXT) -> list[Hunk]:
    """Hunks between two lists of lines (each with its line ending)."""
    return list(diff_lines(a, b, context).hunks())


def file_changes(before: str, after: str, context: int = CONTEXT) -> FileDiff:
    """The report's diff of one file, with lines numbered as the converters number them."""
    return diff_lines(source_lines(before), source_lines(after), context)


def hunks(before: str, after: str, context: int = CONTEXT) -> list[Hunk]:
    """The report's hunks, with lines numbered as the converters number them."""
    return list(file_changes(before, after, context).hunks())


def unified_diff(file_result, context: int = CONTEXT) -> str:
    """The change to one file as a git patch (`diff --git a/path b/path`), "" when there is none:
    gpu2mlu.report.patch's bytes (the file's own encoding and BOM), read back as text."""
    if file_result.before is None or file_result.after is None or file_result.before == file_result.after:
        return ""
    data = file_diff(file_result.path, *file_bytes(file_result), context)
    return data.decode("utf-8", "surrogateescape")
