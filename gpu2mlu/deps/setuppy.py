"""setup.py: the requirement strings given to setup() as install_requires, extras_require or
setup_requires, written in the call or in a module-level variable the call names.
"""
from __future__ import annotations

import ast
import warnings
from typing import Iterator, Optional

from gpu2mlu.deps.requirement import parse_requirement
from gpu2mlu.deps.verdict import requirement_finding
from gpu2mlu.results import Finding
from gpu2mlu.rules import RuleSet

_KEYWORDS = frozenset({"install_requires", "extras_require", "setup_requires"})


def _module_values(tree: ast.Module) -> dict[str, ast.AST]:
    """Module-level `NAME = value` (and `NAME: T = value`); the last assignment wins."""
    values: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    values[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            values[node.target.id] = node.value
    return values


def _is_setup(call: ast.Call) -> bool:
    f = call.func
    return (isinstance(f, ast.Name) and f.id == "setup") or (isinstance(f, ast.Attribute) and f.attr == "setup")


def _strings(node: ast.AST, names: dict[str, ast.AST], seen: frozenset = frozenset()) -> Iterator[tuple[int, str]]:
    """(line, requirement) for every string reachable from `node` through lists, tuples, sets,
    dicts (their values), `+` and names of module-level variables."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        # a string of several lines lists one requirement per line
        for k, part in enumerate(node.value.splitlines()):
            if part.strip():
                yield node.lineno + k, part
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for element in node.elts:
            yield from _strings(element, names, seen)
    elif isinstance(node, ast.Dict):
        for value in node.values:
            yield from _strings(value, names, seen)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("dict", "list", "tuple"):
        for arg in node.args:
            yield from _strings(arg, names, seen)
        for kw in node.keywords:
            yield from _strings(kw.value, names, seen)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        yield from _strings(node.left, names, seen)
        yield from _strings(node.right, names, seen)
    elif isinstance(node, ast.Name) and node.id in names and node.id not in seen:
        yield from _strings(names[node.id], names, seen | {node.id})


def setup_py_requirements(text: str) -> list[tuple[int, str]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes and the like are not our report
            tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    names = _module_values(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_setup(node):
            for arg, value in _setup_keywords(node, names):
                if arg in _KEYWORDS:
                    found.extend(_strings(value, names))
    return sorted(set(found))


def _setup_keywords(call: ast.Call, names: dict[str, ast.AST]) -> Iterator[tuple[str, ast.AST]]:
    """The call's keywords, including those of `**config` when config is a module-level dict."""
    for kw in call.keywords:
        if kw.arg is not None:
            yield kw.arg, kw.value
            continue
        value = names.get(kw.value.id) if isinstance(kw.value, ast.Name) else kw.value
        if isinstance(value, ast.Dict):
            for key, item in zip(value.keys, value.values):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    yield key.value, item
        elif isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict":
            for inner in value.keywords:
                if inner.arg is not None:
                    yield inner.arg, inner.value


def setup_py_findings(text: str, rules: RuleSet) -> list[Finding]:
    findings = []
    for line, requirement in setup_py_requirements(text):
        req = parse_requirement(requirement)
        found: Optional[Finding] = req and requirement_finding(req, rules, line)
        if found:
            findings.append(found)
    return findings
