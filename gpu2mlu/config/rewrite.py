"""From scalars to edits and findings: the same value rules for every configuration format.

- a scalar VALUE that is exactly a device or backend ("cuda:0", "nccl") converts in place, as
  everywhere else (gpu2mlu.values);
- an environment variable name converts like the shell and Python converters do it, when it is a
  mapping key, a whole value (Kubernetes `- name: X`) or the NAME of a `NAME=value` list item
  (docker-compose `environment:`), whose value part then counts as a value;
- GPU plumbing (containers.toml: `runtime: nvidia`, `nvidia.com/gpu`, ...) is reported.
Keys never convert as devices: `cuda:` as a key stays.
"""
from __future__ import annotations

import re
from typing import Iterable, Optional

from gpu2mlu.config.scalars import Scalar
from gpu2mlu.edits import Edit
from gpu2mlu.results import Finding
from gpu2mlu.rules import RuleSet
from gpu2mlu.source import LineIndex
from gpu2mlu.values import device_or_backend, env_verdict

_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_ENV_ITEM = re.compile(r"(?P<name>[A-Z][A-Z0-9_]*)[ \t]*=[ \t]*(?P<value>.*?)[ \t]*\Z")  # compose `- NAME=value`
_LONGEST = 256  # longer scalars are prose or data, never a device, a name or an image

_candidates: dict[int, tuple[RuleSet, re.Pattern]] = {}


def candidates(rules: RuleSet) -> re.Pattern:
    """Literal words one of which every scalar this module acts on contains (case-sensitive).

    Finer than the file gate: a file without any of them needs no parsing at all.
    """
    cached = _candidates.get(id(rules))
    if cached is None or cached[0] is not rules:
        words = {*rules.devices, *rules.backends, *rules.env, *rules.nccl_env_prefixes, *rules.cuda_env_prefixes}
        for flag in rules.config_flags:
            words.update(flag.words())
        pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
        cached = _candidates[id(rules)] = (rules, pattern)
    return cached[1]


def edits_and_findings(text: str, scalars: Iterable[Scalar], rules: RuleSet) -> tuple[list[Edit], list[Finding]]:
    wanted = candidates(rules)
    index: Optional[LineIndex] = None
    edits: list[Edit] = []
    findings: list[Finding] = []
    for scalar in scalars:
        if len(scalar.value) > _LONGEST or not wanted.search(scalar.value):
            continue
        index = index or LineIndex(text)
        line = index.line_of(scalar.start)
        if _ENV_NAME.match(scalar.value):
            if _convert_env(rules, scalar.value, scalar.start, line, edits, findings):
                continue
        elif scalar.item and not scalar.is_key:
            item = _ENV_ITEM.match(scalar.value)
            if item:  # NAME=value: the name as a variable, the value as a value
                _convert_env(rules, item.group("name"), scalar.start, line, edits, findings)
                _convert_value(rules, scalar.start + item.start("value"), item.group("value"), edits)
                continue
        if scalar.is_key:
            findings.extend(_flags(rules, "key", scalar, line))
        elif not _convert_value(rules, scalar.start, scalar.value, edits):
            findings.extend(_flags(rules, "value", scalar, line))
    return edits, findings


def _convert_value(rules: RuleSet, start: int, value: str, edits: list) -> bool:
    verdict = device_or_backend(rules, value)
    if verdict is None:
        return False
    new, family = verdict
    edits.append(Edit(start, start + len(value), new, family))
    return True


def _convert_env(rules: RuleSet, name: str, start: int, line: int, edits: list, findings: list) -> bool:
    verdict = env_verdict(rules, name)
    if verdict is None:
        flagged = [rules.finding(line, f.finding, name) for f in rules.config_flags
                   if f.role == "env" and f.matches(name)]
        findings.extend(flagged)
        return bool(flagged)
    if verdict.new:
        edits.append(Edit(start, start + len(name), verdict.new, "env-var"))
    if verdict.finding:
        findings.append(rules.finding(line, verdict.finding, name, new=verdict.new or "",
                                      suggestion=verdict.suggestion))
    return True


def _flags(rules: RuleSet, role: str, scalar: Scalar, line: int) -> list[Finding]:
    return [
        rules.finding(line, flag.finding, scalar.value, key=scalar.under or "")
        for flag in rules.config_flags
        if flag.role == role and (role == "key" or scalar.under in flag.under) and flag.matches(scalar.value)
    ]
