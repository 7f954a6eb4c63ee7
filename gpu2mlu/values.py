"""What one scalar value becomes: device strings, backend specs and environment variable names.

Shared by every file kind, so a `cuda:0` in a YAML config, a shell flag and a Python literal
convert the same way.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from gpu2mlu.rules import RuleSet

_DEVICE = re.compile(r"(?P<dev>[a-z]+)(?P<rest>(?::\d+)?|:\{[^{}]*\}|:%[dis])\Z")
_BACKEND_PAIR = re.compile(r"(?P<dev>[a-z]+):(?P<backend>[a-z]+)")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*\Z")


def device_value(rules: RuleSet, value: str) -> Optional[str]:
    """'cuda' → 'mlu', 'cuda:1' → 'mlu:1', 'cuda:{}' → 'mlu:{}'; None for anything else."""
    m = _DEVICE.match(value)
    if m and m.group("dev") in rules.devices:
        return rules.devices[m.group("dev")] + m.group("rest")
    return None


def device_prefix(rules: RuleSet, value: str) -> Optional[str]:
    """'cuda:' → 'mlu:': the start of a device string that code completes or matches; else None."""
    if value.endswith(":") and value[:-1] in rules.devices:
        return rules.devices[value[:-1]] + ":"
    return None


def backend_value(rules: RuleSet, value: str) -> Optional[str]:
    """'nccl' → 'cncl'; 'cuda:nccl' → 'mlu:cncl'; 'cpu:gloo,cuda:nccl' → 'cpu:gloo,mlu:cncl'."""
    backends, devices = rules.backends, rules.devices
    if value in backends:
        return backends[value]
    parts = value.split(",")
    pairs = [_BACKEND_PAIR.fullmatch(p) for p in parts]
    if not all(pairs) or not any(p.group("backend") in backends or p.group("dev") in devices for p in pairs):
        return None
    return ",".join(
        f"{devices.get(p.group('dev'), p.group('dev'))}:{backends.get(p.group('backend'), p.group('backend'))}"
        for p in pairs
    )


def device_or_backend(rules: RuleSet, value: str) -> Optional[tuple[str, str]]:
    """(new value, rule family) when the whole value is a CUDA device or backend spec."""
    new = device_value(rules, value)
    if new is not None:
        return new, "device-literal"
    new = backend_value(rules, value)
    if new is not None:
        return new, "distributed"
    return None


@dataclass(frozen=True)
class EnvVerdict:
    new: Optional[str]  # the MLU name, or None to leave the name as it is
    finding: Optional[str]  # finding ID to report, if any
    suggestion: str = ""


def env_verdict(rules: RuleSet, name: str) -> Optional[EnvVerdict]:
    """What a CUDA/NCCL environment variable name becomes; None for names gpu2mlu does not know."""
    rule = rules.env.get(name)
    if rule is not None:
        return EnvVerdict(rule.new, rule.finding, rule.suggestion)
    if not _ENV_NAME.match(name):
        return None
    if name.startswith(rules.nccl_env_prefixes):
        return EnvVerdict(None, "GM402")
    if name.startswith(rules.cuda_env_prefixes) and name not in rules.cuda_env_prefixes:
        return EnvVerdict(None, "GM404")  # every CUDA_* name is mapped or reported
    return None
