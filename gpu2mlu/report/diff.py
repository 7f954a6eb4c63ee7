"""Unified diffs of a changed file: a git-style patch (`unified_diff`) and the hunks the HTML
report draws (`hunks`).

The two differ only in where a line ends. A patch must follow git, for which a line ends at "\\n"
only (a "\\r" before it is part of the line, so CRLF files patch exactly). The report numbers lines
the way the converters do (gpu2mlu.source.LineIndex: "\\r\\n", "\\r" or "\\n"), so its line numbers
are the ones in the change and finding rows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Optional

CONTEXT = 3
NO_NEWLINE = "\\ No newline at end of file"

_GIT_LINE = re.compile(r"[^\n]*\n|[^\n]+")
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


def git_lines(text: str) -> list[str]:
    return _GIT_LINE.findall(text)


def source_lines(text: str) -> list[str]:
    return _SOURCE_LINE.findall(text)


def diff_hunks(a: list[str], b: list[str], context: int = CONTEXT) -> list[Hunk]:
    """Hunks between two lists of lines (each with its line ending)."""
    hunks = []
    # difflib's default autojunk keeps popular lines (blank ones) from anchoring a match: a
    # hundred times faster on big files, and the hunks stay exact.
    for group in SequenceMatcher(None, a, b).get_grouped_opcodes(context):
        lines: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine(" ", i + 1, j + 1, a[i]) for i, j in zip(range(i1, i2), range(j1, j2))]
                continue
            lines += [DiffLine("-", i + 1, None, a[i]) for i in range(i1, i2)]
            lines += [DiffLine("+", None, j + 1, b[j]) for j in range(j1, j2)]
        _, i1, _, j1, _ = group[0]
        _, _, i2, _, j2 = group[-1]
        hunks.append(Hunk(i1 + 1, i2 - i1, j1 + 1, j2 - j1, tuple(lines)))
    return hunks


def hunks(before: str, after: str, context: int = CONTEXT) -> list[Hunk]:
    """The report's hunks, with lines numbered as the converters number them."""
    return diff_hunks(source_lines(before), source_lines(after), context)


def _quote(name: str) -> str:
    """A path as git writes it in patch headers: C-quoted when it holds quotes, backslashes,
    control or non-ASCII characters (as with git's default core.quotePath)."""
    if not any(c in '"\\' or ord(c) < 0x20 or ord(c) >= 0x7f for c in name):
        return name
    escapes = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n",
               "\v": "\\v", "\f": "\\f", "\r": "\\r"}
    out = []
    for c in name:
        if c in escapes:
            out.append(escapes[c])
        elif ord(c) < 0x20 or ord(c) >= 0x7f:
            out.extend(f"\\{byte:03o}" for byte in c.encode("utf-8", "surrogateescape"))
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def unified_diff(file_result, context: int = CONTEXT) -> str:
    """The change to one file as a git patch (`diff --git a/path b/path`), "" when there is none.

    Needs the file's decoded text (`before`/`after`, kept when the run asks for it). Applying the
    patch to the input with `git apply` gives the output, CRLF and missing final newlines included.
    """
    before, after = file_result.before, file_result.after
    if before is None or after is None or before == after:
        return ""
    a, b = _quote("a/" + file_result.path), _quote("b/" + file_result.path)
    tab = "\t" if " " in file_result.path else ""  # git ends a name holding a space with a tab
    out = [f"diff --git {a} {b}\n", f"--- {a}{tab}\n", f"+++ {b}{tab}\n"]
    for hunk in diff_hunks(git_lines(before), git_lines(after), context):
        out.append(hunk.header + "\n")
        for line in hunk.lines:
            out.append(line.op + line.text)
            if not line.text.endswith("\n"):
                out.append("\n" + NO_NEWLINE + "\n")
    return "".join(out)
