"""pyproject.toml: PEP 621 dependencies and extras, PEP 735 dependency groups, build requirements,
Poetry's dependency tables, and package-index URLs under [tool.*] (Poetry, uv, PDM sources).
"""
from __future__ import annotations

import re
from typing import Optional

from gpu2mlu.deps.requirement import Requirement, parse_requirement
from gpu2mlu.toml_positions import Item, project_items
from gpu2mlu.deps.verdict import index_finding, requirement_finding
from gpu2mlu.results import Finding
from gpu2mlu.rules import RuleSet
from gpu2mlu.source import LineIndex

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

_URL = re.compile(r"(?:https?|file)://", re.I)
_POETRY_CLAUSE = re.compile(r"\s*(\^|~=|~|===|==|!=|<=|>=|<|>|=)?\s*([^\s,]+)\s*")


def _requirement_list(path) -> bool:
    """Paths whose string items are PEP 508 requirements."""
    if len(path) == 3 and path[:2] in (("project", "dependencies"), ("build-system", "requires")):
        return isinstance(path[2], int)
    if len(path) == 4 and path[:2] == ("project", "optional-dependencies"):
        return isinstance(path[3], int)
    return len(path) == 3 and path[0] == "dependency-groups" and isinstance(path[2], int)


def _poetry_table(path) -> bool:
    """tool.poetry.dependencies, tool.poetry.dev-dependencies, tool.poetry.group.<g>.dependencies."""
    if path[:2] != ("tool", "poetry"):
        return False
    rest = path[2:]
    return rest in (("dependencies",), ("dev-dependencies",)) or (
        len(rest) == 3 and rest[0] == "group" and rest[2] == "dependencies")


def pyproject_findings(text: str, rules: RuleSet) -> list[Finding]:
    try:
        tomllib.loads(text)
        items = project_items(text)  # [tool.gpu2mlu] is gpu2mlu's own, never reported on
    except (tomllib.TOMLDecodeError, ValueError, IndexError):
        return []  # not TOML; the config converter reports the file
    index = LineIndex(text)
    findings: list[Finding] = []
    poetry: dict[tuple, dict] = {}  # dependency path -> {"line", "version", "url"}
    for item in items:
        line = index.line_of(item.offset)
        if item.is_key:
            if _poetry_table(item.path[:-1]):
                poetry[item.path] = {"line": line}
            continue
        if _requirement_list(item.path):
            req = parse_requirement(item.value)
            found = req and requirement_finding(req, rules, line)
        elif item.path[:-1] in poetry or item.path in poetry:
            _poetry_value(poetry, item)
            found = None
        elif item.path[:1] == ("tool",) and _URL.match(item.value):
            found = index_finding(item.value, rules, line)
        else:
            found = None
        if found:
            findings.append(found)
    for path, dep in poetry.items():
        found = requirement_finding(_poetry_requirement(path[-1], dep), rules, dep["line"])
        if found:
            findings.append(found)
    return findings


def _poetry_value(poetry: dict, item: Item) -> None:
    """`torch = "2.1.0+cu118"`, `torch = {version = "...", url = "..."}`."""
    if item.path in poetry:
        poetry[item.path]["version"] = item.value
        return
    dep, field = poetry[item.path[:-1]], item.path[-1]
    if field in ("version", "url", "git"):
        dep[field] = item.value


def _poetry_requirement(name: str, dep: dict) -> Requirement:
    clauses = []
    for part in dep.get("version", "").split(","):
        m = _POETRY_CLAUSE.fullmatch(part)
        if not m or m.group(2) == "*":
            continue
        op, version = m.group(1) or "==", m.group(2)
        if op in ("^", "~"):
            clauses.extend(_poetry_range(op, version))
        else:
            clauses.append(("==" if op == "=" else op, version))
    url: Optional[str] = dep.get("url") or dep.get("git")
    return Requirement(name, clauses=tuple(clauses), url=url)


def _poetry_range(op: str, version: str) -> list[tuple[str, str]]:
    """Poetry's ^2.1.0 (>=2.1.0,<3.0.0) and ~2.1 (>=2.1,<2.2) as plain clauses."""
    parts = [int(p) for p in re.findall(r"\d+", version.split("+")[0])[:3]]
    if not parts:
        return []
    if op == "^":
        first = next((i for i, p in enumerate(parts) if p), len(parts) - 1)
        upper = parts[:first] + [parts[first] + 1]
    else:
        upper = parts[:1] + [parts[1] + 1] if len(parts) > 1 else [parts[0] + 1]
    return [(">=", version), ("<", ".".join(map(str, upper)))]
