"""pip requirement files: logical lines (backslash continuations joined, comments dropped), each
either options (`-r`, `-e`, `--index-url`, ...) or one requirement followed by per-requirement
options (`--hash=...`). Offsets stay mapped to the input, so findings carry real line numbers.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Iterator, Optional

from gpu2mlu.deps.requirement import parse_requirement
from gpu2mlu.deps.verdict import index_finding, requirement_finding
from gpu2mlu.results import Finding
from gpu2mlu.rules import RuleSet
from gpu2mlu.source import LineIndex

_COMMENT = re.compile(r"(?:^|\s)#")
_TOKEN = re.compile(r"\S+")
# Options whose value names a package index or link page.
_INDEX_OPTIONS = frozenset({"-i", "--index-url", "--extra-index-url", "-f", "--find-links"})
_EDITABLE = frozenset({"-e", "--editable"})
# Options that take a value as the next token (when not written --opt=value).
_VALUED = _INDEX_OPTIONS | _EDITABLE | frozenset({
    "-r", "--requirement", "-c", "--constraint", "--trusted-host", "--no-binary", "--only-binary",
    "--hash", "--global-option", "--install-option", "--config-settings", "-C", "--use-feature",
})


@dataclass(frozen=True)
class LogicalLine:
    text: str  # continuation lines joined, the comment removed
    starts: tuple[int, ...]  # offsets in `text` where each physical line's part begins
    lines: tuple[int, ...]  # the physical line number of each part

    def line_at(self, offset: int) -> int:
        return self.lines[bisect.bisect_right(self.starts, offset) - 1]


def logical_lines(text: str, first_line: int = 1) -> Iterator[LogicalLine]:
    """pip's reading: a line ending in a backslash continues on the next one, unless it holds a
    comment; then `#` after whitespace (or at the start) begins a comment."""
    index = LineIndex(text)
    parts: list[str] = []
    starts: list[int] = []
    numbers: list[int] = []
    size = 0
    bounds = index.starts + [len(text)]
    for k, start in enumerate(index.starts):
        if start == len(text):
            break  # nothing after the final newline
        n = first_line + k
        physical = text[start:bounds[k + 1]].rstrip("\r\n")
        continues = physical.endswith("\\") and not _COMMENT.search(physical)
        starts.append(size)
        numbers.append(n)
        part = physical[:-1] if continues else physical
        parts.append(part)
        size += len(part)
        if not continues:
            yield _finish(parts, starts, numbers)
            parts, starts, numbers, size = [], [], [], 0
    if parts:
        yield _finish(parts, starts, numbers)


def _finish(parts: list[str], starts: list[int], numbers: list[int]) -> LogicalLine:
    joined = "".join(parts)
    comment = _COMMENT.search(joined)
    if comment:
        joined = joined[:comment.start()].rstrip()
    return LogicalLine(joined, tuple(starts), tuple(numbers))


def requirement_file_findings(text: str, rules: RuleSet, first_line: int = 1) -> list[Finding]:
    findings = []
    for logical in logical_lines(text, first_line):
        findings.extend(_line_findings(logical, rules))
    return findings


def _line_findings(logical: LogicalLine, rules: RuleSet) -> Iterator[Finding]:
    tokens = list(_TOKEN.finditer(logical.text))
    if not tokens:
        return
    if not tokens[0].group().startswith("-"):
        # A requirement runs up to its first option (`--hash=...`, `--global-option ...`).
        end = next((t.start() for t in tokens if t.group().startswith("-")), len(logical.text))
        req = parse_requirement(logical.text[:end])
        found = req and requirement_finding(req, rules, logical.line_at(tokens[0].start()))
        if found:
            yield found
        return
    for option, value, at in _options(tokens):
        line = logical.line_at(at)
        found: Optional[Finding] = None
        if option in _INDEX_OPTIONS:
            found = index_finding(value, rules, line)
        elif option in _EDITABLE:
            req = parse_requirement(value)
            found = req and requirement_finding(req, rules, line)
        if found:
            yield found


def _attached(token: str) -> bool:
    """`-rfile.txt`, `-ehttps://...`: a short option with its value attached."""
    return len(token) > 2 and token[0] == "-" and token[1] != "-"


def _options(tokens) -> Iterator[tuple[str, str, int]]:
    """(option, value, offset of the value) for each option on an options line that has a value."""
    i = 0
    while i < len(tokens):
        token, start = tokens[i].group(), tokens[i].start()
        i += 1
        if token.startswith("--") and "=" in token:
            option, _, value = token.partition("=")
            yield option, value, start + len(option) + 1
        elif _attached(token):
            yield token[:2], token[2:], start + 2
        elif token in _VALUED and i < len(tokens):
            yield token, tokens[i].group(), tokens[i].start()
            i += 1
