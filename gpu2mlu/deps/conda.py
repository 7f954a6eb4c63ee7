"""conda environment files (environment.yml): the `channels:` list, and the `dependencies:` list
with its nested `pip:` list. Read line by line: these files use a small, regular part of YAML
(block lists, or one-line flow lists such as `channels: [pytorch, nvidia]`).
"""
from __future__ import annotations

import re
from typing import Iterator, Optional

from gpu2mlu.deps.pipfile import requirement_file_findings
from gpu2mlu.deps.verdict import conda_channel_finding, conda_finding
from gpu2mlu.results import Finding
from gpu2mlu.rules import RuleSet
from gpu2mlu.source import LineIndex

_TOP_KEY = re.compile(r"([A-Za-z_][\w-]*)\s*:(?:\s+|$)(.*)")
_ITEM = re.compile(r"(\s*)-(?:\s+|$)(.*)")
_PIP = re.compile(r"pip\s*:(?:\s+|$)(.*)")
_COMMENT = re.compile(r"(?:^|\s)#.*")
_SECTION_KIND = {"channels": "channel", "dependencies": "conda"}


def _scalar(value: str) -> str:
    """A plain or quoted YAML scalar, without a trailing comment."""
    value = value.strip()
    if value[:1] in ("'", '"'):
        end = value.find(value[0], 1)
        if end > 0:
            return value[1:end]
    return _COMMENT.sub("", value).strip()


def _flow(value: str) -> Optional[list[str]]:
    """`[a, b]` on one line; None when the value is not a one-line flow list."""
    value = _COMMENT.sub("", value).strip()
    if not (value.startswith("[") and value.endswith("]")):
        return None
    return [_scalar(v) for v in value[1:-1].split(",") if v.strip()]


def _entries(text: str) -> Iterator[tuple[str, int, str]]:
    """(kind, line, value) with kind "channel", "conda" or "pip"."""
    index = LineIndex(text)
    bounds = index.starts + [len(text)]
    section: Optional[str] = None
    pip_indent: Optional[int] = None
    for k, start in enumerate(index.starts):
        raw = text[start:bounds[k + 1]].rstrip("\r\n")
        line = k + 1
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        top = _TOP_KEY.fullmatch(raw)
        if top:
            section, pip_indent = top.group(1), None
            if section in _SECTION_KIND:
                for value in _flow(top.group(2)) or []:
                    yield _SECTION_KIND[section], line, value
            continue
        item = _ITEM.fullmatch(raw)
        if not item or section not in _SECTION_KIND:
            continue
        indent, value = len(item.group(1)), item.group(2)
        if section == "channels":
            yield "channel", line, _scalar(value)
            continue
        if pip_indent is not None and indent > pip_indent:
            yield "pip", line, _scalar(value)
            continue
        pip = _PIP.fullmatch(_COMMENT.sub("", value).strip())
        if pip:
            pip_indent = indent
            for sub in _flow(pip.group(1)) or []:
                yield "pip", line, sub
            continue
        pip_indent = None
        yield "conda", line, _scalar(value)


def conda_env_findings(text: str, rules: RuleSet) -> list[Finding]:
    findings: list[Finding] = []
    for kind, line, value in _entries(text):
        if kind == "pip":  # a pip item is one line of a requirements file
            findings.extend(requirement_file_findings(value, rules, first_line=line))
            continue
        found = conda_channel_finding(value, rules, line) if kind == "channel" else conda_finding(value, rules, line)
        if found:
            findings.append(found)
    return findings
