"""Import statements: what each local name refers to, and how the statement itself converts."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from gpu2mlu.edits import Edit
from gpu2mlu.python.names import lookup, map_name
from gpu2mlu.python.tokens import Token, tokens
from gpu2mlu.rules import RuleSet


@dataclass
class Binding:
    local: str  # name bound in the CUDA program
    qualified: str  # what it refers to there
    new_qualified: str  # what it refers to after conversion
    new_local: str  # the name after conversion (from-imports of renamed APIs change it)
    module_level: bool
    is_module: bool  # bound by `import x` (a module), not `from x import y`


@dataclass
class ImportPlan:
    bindings: dict[str, Binding] = field(default_factory=dict)
    edits: list[Edit] = field(default_factory=list)
    needs_torch_mlu: set = field(default_factory=set)  # ids of statements importing torch_mlu names


def _rule_for(rules: RuleSet, qualified: str) -> str:
    found = lookup(rules, qualified.split("."))
    return found.entry.rule if found else "torch-cuda-api"


def _dotted(toks: list[Token], i: int) -> tuple[str, int, int, int]:
    """Read a dotted name at toks[i]; returns (name, start, end, next index)."""
    parts = [toks[i].value]
    start, end = toks[i].start, toks[i].end
    i += 1
    while i + 1 < len(toks) and toks[i].value == "." and toks[i + 1].kind == "name":
        parts.append(toks[i + 1].value)
        end = toks[i + 1].end
        i += 2
    return ".".join(parts), start, end, i


def _alias_spans(toks: list[Token], i: int):
    """(name, start, end, asname) for each alias after the `import` keyword."""
    while i < len(toks):
        tok = toks[i]
        if tok.kind == "name" or tok.value == "*":
            if tok.value == "*":
                name, start, end, i = "*", tok.start, tok.end, i + 1
            else:
                name, start, end, i = _dotted(toks, i)
            asname = None
            if i + 1 < len(toks) and toks[i].value == "as":
                asname = toks[i + 1].value
                i += 2
            yield name, start, end, asname
        else:
            i += 1


class ImportConverter:
    def __init__(self, text: str, index, rules: RuleSet) -> None:
        self.text = text
        self.index = index
        self.rules = rules
        self.plan = ImportPlan()

    def _needs(self, qualified: str) -> bool:
        return self.rules.needs_torch_mlu(qualified)

    def _bind(self, local, qualified, new_qualified, new_local, module_level, is_module):
        self.plan.bindings[local] = Binding(local, qualified, new_qualified, new_local, module_level, is_module)

    def visit(self, node: ast.stmt, module_level: bool) -> None:
        start, end = self.index.start_of(node), self.index.end_of(node)
        try:
            toks = tokens(self.text, start, end)
        except ValueError:
            return
        if isinstance(node, ast.Import):
            self._import(node, toks, module_level)
        else:
            self._import_from(node, toks, module_level)

    def _import(self, node: ast.Import, toks, module_level: bool) -> None:
        spans = list(_alias_spans(toks, 1))
        if len(spans) != len(node.names):
            return
        for alias, (name, start, end, _) in zip(node.names, spans):
            new = map_name(self.rules, alias.name) if alias.name.startswith("torch") else alias.name
            if new != alias.name:
                self.plan.edits.append(Edit(start, end, new, _rule_for(self.rules, alias.name)))
                if self._needs(new):
                    self.plan.needs_torch_mlu.add(id(node))
            if alias.asname:
                self._bind(alias.asname, alias.name, new, alias.asname, module_level, True)
            else:
                root = alias.name.split(".")[0]
                new_root = new.split(".")[0]
                self._bind(root, root, root, root, module_level, True)
                if new_root != root:  # e.g. a module moved from torch to torch_mlu
                    self._bind(new_root, new_root, new_root, new_root, module_level, True)

    def _import_from(self, node: ast.ImportFrom, toks, module_level: bool) -> None:
        if node.level or not node.module:
            for alias in node.names:  # relative imports: local, never torch
                local = alias.asname or alias.name
                self._bind(local, "." * node.level + f"{node.module or ''}.{alias.name}", "", local, module_level, False)
            return
        module = node.module
        i = 1
        while i < len(toks) and toks[i].kind != "name":
            i += 1
        if i >= len(toks):
            return
        _, mod_start, mod_end, i = _dotted(toks, i)
        if i >= len(toks) or toks[i].value != "import":
            return
        spans = list(_alias_spans(toks, i + 1))
        if len(spans) != len(node.names):
            return
        torchy = module == "torch" or module.startswith("torch.")
        groups: dict[str, list] = {}
        for alias, span in zip(node.names, spans):
            qualified = f"{module}.{alias.name}"
            if alias.name == "*":
                new_module = map_name(self.rules, module) if torchy else module
                new_name = "*"
            else:
                new = map_name(self.rules, qualified) if torchy else qualified
                new_module, _, new_name = new.rpartition(".")
                local = alias.asname or alias.name
                new_local = alias.asname or new_name
                self._bind(local, qualified, new, new_local, module_level, False)
            groups.setdefault(new_module, []).append((alias, span, new_name))
        if not torchy:
            return
        for new_module in groups:
            if self._needs(new_module) or any(self._needs(f"{new_module}.{n}") for _, _, n in groups[new_module]):
                self.plan.needs_torch_mlu.add(id(node))
        rule = _rule_for(self.rules, f"{module}.{node.names[0].name}")
        if len(groups) == 1:
            (new_module, members), = groups.items()
            if new_module != module:
                self.plan.edits.append(Edit(mod_start, mod_end, new_module, rule))
            for alias, (name, start, end, _), new_name in members:
                if new_name != alias.name:
                    self.plan.edits.append(Edit(start, end, new_name, _rule_for(self.rules, f"{module}.{alias.name}")))
            return
        self._split(node, groups, rule)

    def _split(self, node: ast.ImportFrom, groups: dict, rule: str) -> None:
        """One `from` import whose names now come from several modules becomes several imports."""
        start, end = self.index.start_of(node), self.index.end_of(node)
        line_start = self.index.starts[node.lineno - 1]
        prefix = self.text[line_start:start]
        own_line = prefix.strip() == ""
        newline = self.index.newline_after(node.lineno) or self.index.first_newline()
        glue = (newline + prefix) if own_line else "; "
        statements = []
        for new_module, members in groups.items():
            names = ", ".join(
                n if (alias.asname is None and n == alias.name) or n == "*"
                else (f"{n} as {alias.asname}" if alias.asname else n)
                for alias, _, n in members
            )
            statements.append(f"from {new_module} import {names}")
        self.plan.edits.append(Edit(start, end, glue.join(statements), rule))


def import_targets(node: ast.stmt) -> list[str]:
    """Dotted modules an import statement loads."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and not node.level and node.module:
        return [node.module]
    return []


def imports_torch(node: ast.stmt) -> bool:
    return any(t == "torch" or t.startswith("torch.") for t in import_targets(node))


def imports_torch_mlu(node: ast.stmt) -> bool:
    return any(t == "torch_mlu" or t.startswith("torch_mlu.") for t in import_targets(node))
