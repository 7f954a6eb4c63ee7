"""Dependency and build files: pip requirement files, pyproject.toml, setup.cfg, setup.py and
conda environment files. Nothing is rewritten (a pin's right value depends on the MLU software
release installed); every CUDA-only distribution, CUDA build of torch, CUDA wheel index and
CUDA conda package becomes a finding on its input line, with what to install instead.
"""
from __future__ import annotations

from gpu2mlu.changes import conversion_from_edits
from gpu2mlu.deps.conda import conda_env_findings
from gpu2mlu.deps.pipfile import requirement_file_findings
from gpu2mlu.deps.pyproject import pyproject_findings
from gpu2mlu.deps.requirement import Requirement, normalize, parse_requirement
from gpu2mlu.deps.setupcfg import setup_cfg_findings
from gpu2mlu.deps.setuppy import setup_py_findings
from gpu2mlu.deps.verdict import conda_finding, index_finding, requirement_finding
from gpu2mlu.results import Conversion, Finding
from gpu2mlu.rules import RuleSet

__all__ = [
    "Requirement", "conda_finding", "convert_requirements", "dependency_findings", "index_finding",
    "normalize", "parse_requirement", "requirement_finding", "requirement_findings", "setup_py_findings",
]


_READERS = {
    "pyproject.toml": pyproject_findings,
    "setup.cfg": setup_cfg_findings,
    "environment.yml": conda_env_findings,
    "environment.yaml": conda_env_findings,
}


def convert_requirements(text: str, rules: RuleSet, rel: str) -> Conversion:
    """Kind "requirements": findings only, the text is never edited."""
    return conversion_from_edits(text, [], requirement_file_findings(text, rules))


def dependency_findings(text: str, rules: RuleSet, rel: str) -> list[Finding]:
    """Findings for the dependency lists of a config file, chosen by its name; [] for other files."""
    reader = _READERS.get(rel.rsplit("/", 1)[-1])
    if reader is None:
        return []
    return sorted(reader(text, rules), key=lambda f: (f.line, f.id))


def requirement_findings(requirement: str, rules: RuleSet, line: int) -> list[Finding]:
    """One requirement string as a pip command line or a Dockerfile would name it (for the shell
    and Dockerfile converters): `flash-attn==2.5.0`, `torch==2.1.0+cu118`."""
    req = parse_requirement(requirement)
    found = req and requirement_finding(req, rules, line)
    return [found] if found else []
