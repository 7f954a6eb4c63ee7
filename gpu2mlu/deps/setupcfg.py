"""setup.cfg: `[options] install_requires / setup_requires / tests_require` and every key of
`[options.extras_require]`. setuptools reads a value that spans lines one requirement per line,
and a one-line value split at semicolons.
"""
from __future__ import annotations

import re
from typing import Iterator

from gpu2mlu.deps.requirement import parse_requirement
from gpu2mlu.deps.verdict import requirement_finding
from gpu2mlu.results import Finding
from gpu2mlu.rules import RuleSet
from gpu2mlu.source import LineIndex

_SECTION = re.compile(r"\[\s*([^\]]+?)\s*\]")
_KEY = re.compile(r"([^=:\s][^=:]*?)\s*[=:]\s*")
_REQUIREMENT_KEYS = frozenset({"install_requires", "setup_requires", "tests_require"})


def _values(text: str) -> Iterator[tuple[str, str, int, list[tuple[int, str]]]]:
    """(section, key, key line, [(line, text) of each value line]) in file order; comment lines
    dropped."""
    index = LineIndex(text)
    bounds = index.starts + [len(text)]
    section, key, key_line, parts = "", None, 0, []
    for k, start in enumerate(index.starts):
        raw = text[start:bounds[k + 1]].rstrip("\r\n")
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if raw[0] in " \t" and key is not None:  # a continuation line of the current value
            parts.append((k + 1, stripped))
            continue
        if key is not None:
            yield section, key, key_line, parts
            key, parts = None, []
        m = _SECTION.fullmatch(stripped)
        if m:
            section = m.group(1)
            continue
        m = _KEY.match(raw)
        if m:
            key, key_line = m.group(1).strip(), k + 1
            rest = raw[m.end():].strip()
            parts = [(k + 1, rest)] if rest else []
    if key is not None:
        yield section, key, key_line, parts


def setup_cfg_findings(text: str, rules: RuleSet) -> list[Finding]:
    findings = []
    for section, key, key_line, parts in _values(text):
        wanted = (section == "options" and key in _REQUIREMENT_KEYS) or section == "options.extras_require"
        if not wanted or not parts:
            continue
        if parts[0][1].startswith("file:"):
            continue  # the named file is checked on its own
        if len(parts) == 1 and parts[0][0] == key_line:  # one line: setuptools splits at ";"
            entries = [(key_line, piece) for piece in parts[0][1].split(";")]
        else:
            entries = parts
        for line, entry in entries:
            req = parse_requirement(entry)
            found = req and requirement_finding(req, rules, line)
            if found:
                findings.append(found)
    return findings
