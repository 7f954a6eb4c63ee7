"""Training frameworks' settings in configuration files: a DeepSpeed config's `comm_backend_name`,
a LightningCLI/Hydra `trainer: {accelerator: gpu}`, an Accelerate config's `mixed_precision: fp8`.

These values are the framework's, not torch's: the generic value rules would turn `nccl` into
`cncl` and `cuda` into `mlu`, which the framework rejects on MLU. A setting from frameworks.toml
claims its scalar (the generic rules never see it) and reports it.
"""
from __future__ import annotations

import re
from typing import Sequence

from gpu2mlu.config.scalars import Scalar
from gpu2mlu.results import Finding
from gpu2mlu.rules import RuleSet
from gpu2mlu.source import LineIndex

_patterns: dict[int, tuple[RuleSet, re.Pattern]] = {}


def mentions_a_setting(rules: RuleSet, text: str) -> bool:
    """Whether the text holds a setting's key at all (the gate before parsing)."""
    cached = _patterns.get(id(rules))
    if cached is None or cached[0] is not rules:
        words = rules.frameworks.words()
        cached = _patterns[id(rules)] = (rules, re.compile("|".join(map(re.escape, words))))
    return cached[1].search(text) is not None


def framework_settings(text: str, scalars: Sequence[Scalar], rules: RuleSet) -> tuple[set[int], list[Finding]]:
    """(indices of the scalars that are framework settings, their findings)."""
    fw = rules.frameworks
    keys = {s.value for s in scalars if s.is_key}
    present = frozenset(f.name for f in fw.frameworks if f.config_keys & keys)
    claimed: set[int] = set()
    findings: list[Finding] = []
    index = None
    for i, scalar in enumerate(scalars):
        if scalar.is_key or scalar.under is None:
            continue
        setting = fw.setting(scalar.under, present)
        finding = setting.finding_for(scalar.value) if setting is not None else None
        if finding is None:
            continue
        index = index or LineIndex(text)
        claimed.add(i)
        findings.append(rules.finding(index.line_of(scalar.start), finding, scalar.value))
    return claimed, findings
