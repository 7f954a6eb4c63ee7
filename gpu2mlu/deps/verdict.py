"""What one dependency means on MLU: the finding (if any) for a requirement, a package index URL
or a conda package. Every dependency file format ends up here, so they all judge alike.
"""
from __future__ import annotations

import fnmatch
import re
from typing import Optional
from urllib.parse import unquote

from gpu2mlu.deps.requirement import Requirement, archive_version, normalize
from gpu2mlu.deps.versions import admits, caps_below, is_cuda_local, release
from gpu2mlu.results import Finding
from gpu2mlu.rules import RuleSet

TORCH_FAMILY = frozenset({"torch", "torchvision", "torchaudio"})
# A URL component naming a CUDA release: .../whl/cu118, +cu121.html, /dist/cu113/...
_CUDA_IN_URL = re.compile(r"(?<![A-Za-z0-9])cu\d{2,3}(?!\d)", re.I)


def is_cuda_url(url: str) -> bool:
    return bool(_CUDA_IN_URL.search(unquote(url)))


def match_table(table: tuple[tuple[str, str], ...], key: str) -> Optional[str]:
    """The suggestion of the first glob in `table` that matches the normalised name `key`."""
    for pattern, suggestion in table:
        if fnmatch.fnmatchcase(key, pattern):
            return suggestion
    return None


def _torch_values(rules: RuleSet) -> dict:
    return rules.torch_line.placeholders(rules.line)


def _cuda_build(req: Requirement) -> Optional[str]:
    """The CUDA build a requirement pins: a `+cu118` local version, or a URL naming a CUDA release."""
    for op, version in req.clauses:
        if op in ("==", "===") and is_cuda_local(version):
            return version
    if req.url and is_cuda_url(req.url):
        return archive_version(req.url) or req.url
    return None


def _misses_torch_line(req: Requirement, rules: RuleSet) -> bool:
    line = rules.torch_line
    version = release(line.version)
    if line.later_releases:
        return caps_below(req.clauses, version)
    return not admits(req.clauses, version)


def requirement_finding(req: Requirement, rules: RuleSet, line: int, key: Optional[str] = None) -> Optional[Finding]:
    """At most one finding per requirement, the most specific first. `key` overrides the
    normalised name (conda's `pytorch` is pip's `torch`)."""
    key = key or req.key
    cuda_build = _cuda_build(req)
    if key in TORCH_FAMILY and cuda_build:
        return rules.finding(line, "GM311", req.name, version=cuda_build, **_torch_values(rules))
    if key == "torch" and req.clauses and _misses_torch_line(req, rules):
        wanted = rules.torch_line.version + (" or newer" if rules.torch_line.later_releases else "")
        return rules.finding(line, "GM314", req.name + req.spec, version=wanted, **_torch_values(rules))
    suggestion = match_table(rules.distributions, key)
    if suggestion:
        return rules.finding(line, "GM310", req.name, suggestion=suggestion)
    if cuda_build:
        return rules.finding(line, "GM313", req.name, version=cuda_build)
    since = rules.mlu_since.get(key)
    if since and caps_below(req.clauses, release(since[0])):
        return rules.finding(line, "GM315", req.name + req.spec, version=since[0], suggestion=since[1])
    return None


def index_finding(url: str, rules: RuleSet, line: int) -> Optional[Finding]:
    """--index-url, --extra-index-url, --find-links and the like."""
    if is_cuda_url(url):
        return rules.finding(line, "GM312", url, **_torch_values(rules))
    return None


def conda_channel_finding(channel: str, rules: RuleSet, line: int) -> Optional[Finding]:
    if channel.strip().rstrip("/").rsplit("/", 1)[-1].lower() == "nvidia":
        return rules.finding(line, "GM317", channel.strip(), **_torch_values(rules))
    return None


_CONDA_SPEC = re.compile(r"(?:(?P<channel>[^\s:]+)::)?(?P<name>[A-Za-z0-9_][A-Za-z0-9_.-]*)(?P<rest>.*)\Z", re.S)
_CONDA_CLAUSE = re.compile(r"(===|==|~=|!=|<=|>=|<|>)\s*([^\s,|]+)")
_CONDA_TORCH = {"pytorch": "torch", "torch": "torch", "torchvision": "torchvision", "torchaudio": "torchaudio"}


def conda_finding(spec: str, rules: RuleSet, line: int) -> Optional[Finding]:
    """One entry of an environment.yml `dependencies:` list, e.g. `pytorch-cuda=11.8`,
    `pytorch=2.1.0=py3.10_cuda11.8_cudnn8.7.0_0`, `nvidia::cuda-toolkit`."""
    m = _CONDA_SPEC.match(spec.strip())
    if not m:
        return None
    name, rest = m.group("name"), m.group("rest").strip()
    key = normalize(name)
    torch_key = _CONDA_TORCH.get(key)
    version, build = _conda_version_build(rest)
    if torch_key and "cuda" in build.lower():
        return rules.finding(line, "GM311", name, version=rest.lstrip("= "), **_torch_values(rules))
    suggestion = match_table(rules.conda_packages, key)
    if suggestion:
        return rules.finding(line, "GM316", name, suggestion=suggestion)
    req = Requirement(name, clauses=version)
    found = requirement_finding(req, rules, line, key=torch_key)
    if found is None and m.group("channel"):
        found = conda_channel_finding(m.group("channel"), rules, line)
    return found


_CONDA_BUILD = re.compile(r"(?<=[\w*.])=(?=[^=])")


def _conda_version_build(rest: str) -> tuple[tuple[tuple[str, str], ...], str]:
    """conda's `=2.1` (meaning 2.1.*), `=2.1.0=build`, `==2.1.0`, `>=2.0,<3` and `2.1.0 build`
    forms, as pip-style clauses plus the build string."""
    rest = rest.strip()
    if rest.startswith("["):  # name[version='>=2', build='*cuda*']: the build check reads it all
        return (), rest
    if rest[:1].isdigit() or rest[:1] == "*":
        version, _, build = rest.partition(" ")
        rest = "=" + version + ("=" + build.strip() if build.strip() else "")
    parts = _CONDA_BUILD.split(rest, maxsplit=1)
    version, build = parts[0], (parts[1] if len(parts) > 1 else "")
    if version.startswith("=") and not version.startswith("=="):
        fuzzy = version[1:].strip().rstrip("*").rstrip(".")
        return ((("==", fuzzy + ".*"),) if fuzzy else ()), build
    return tuple((c.group(1), c.group(2)) for c in _CONDA_CLAUSE.finditer(version)), build
