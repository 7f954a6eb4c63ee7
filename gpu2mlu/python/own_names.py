"""Names the project defines itself: `self.is_cuda = ...`, `def cuda(self)`, `is_cuda = property(...)`.

`.cuda()`, `.is_cuda` and `.cuda_stream` are renamed on any receiver, because gpu2mlu cannot type
every expression and they are nearly always tensors, modules or streams. A file that defines one
of these names itself (an attribute assignment, a method, a property or class attribute of one of
its classes) breaks that assumption: renaming its uses while its definition stays raises
AttributeError. In such a file a use is renamed only on a receiver known to be a torch object;
on the project's own objects it stays; on receivers gpu2mlu cannot tell, it stays and is reported
(GM216).

What the receiver is, from this file alone:
- torch: rooted in a torch import (`torch.zeros(3)`, `nn.Linear(2, 2)`, `torch.Tensor`), an
  instance of a class of this file that derives from one and does not define the name,
  `super()` in such a class, or a local variable, parameter annotation or `self.x` attribute
  assigned only such values;
- own: `self` in a class that defines the name (or inherits it from a class of this file), an
  instance of such a class, or a variable assigned one;
- unknown: everything else (function parameters, loop variables, calls of other functions).
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Optional

from gpu2mlu.python.context import FileContext

TORCH = "torch"
OWN = "own"
_CYCLE = "cycle"  # a value that refers back to what is being typed: no information
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_MAX_DEPTH = 12


@dataclass(frozen=True)
class Scope:
    """Where a use stands: its innermost function and class (either may be None)."""
    function: Optional[ast.AST] = None
    cls: Optional[ast.ClassDef] = None


@dataclass
class _Class:
    node: ast.ClassDef
    members: set[str]
    self_values: Optional[dict[str, list]] = None  # attr → [(value, method)], from `self.attr = value`


@dataclass
class _Analysis:
    defined: dict[str, int] = field(default_factory=dict)  # name → line of its first definition
    classes: dict[str, _Class] = field(default_factory=dict)


class OwnNames:
    """Lazily, per file: which method names the project defines, and what receivers are."""

    def __init__(self, ctx: FileContext, tree: ast.Module) -> None:
        self.ctx = ctx
        self.tree = tree
        self.names = frozenset({*ctx.rules.attribute_methods, *ctx.rules.called_methods})
        self._analysis: Optional[_Analysis] = None
        self._locals: dict[int, dict[str, list]] = {}
        self._busy: set = set()

    def definition(self, name: str) -> Optional[int]:
        """The line where this file defines `name` itself, or None."""
        return self._analyse().defined.get(name)

    def _analyse(self) -> _Analysis:
        if self._analysis is None:
            self._analysis = _Analysis()
            if self._gate().search(self.ctx.text):
                self._collect(self._analysis)
        return self._analysis

    def _gate(self) -> "re.Pattern":
        """Text that every definition needs (`def cuda`, `is_cuda =`, `is_cuda: bool`); a file
        without it is never walked. The AST decides; this only saves the walk."""
        names = "|".join(sorted(self.names))
        return re.compile(rf"\bdef[ \t]+(?:{names})\b|\b(?:{names})[ \t]*(?::[^=\n]*)?=(?!=)|^[ \t]*(?:{names})[ \t]*:",
                          re.M)

    def _collect(self, analysis: _Analysis) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ClassDef):
                members = _class_members(node)
                analysis.classes[node.name] = _Class(node, set(members))
                for name in sorted(members.keys() & self.names):
                    line = analysis.defined.get(name)
                    analysis.defined[name] = min(line, members[name]) if line else members[name]
            elif (isinstance(node, ast.Attribute) and node.attr in self.names
                  and isinstance(node.ctx, (ast.Store, ast.Del))):
                line = analysis.defined.get(node.attr)
                analysis.defined[node.attr] = min(line, node.lineno) if line else node.lineno

    # -------------------------------------------------------------- receivers

    def kind(self, node: ast.expr, scope: Scope, name: str) -> Optional[str]:
        """TORCH, OWN or None (cannot tell) for the receiver of `.name`."""
        self._busy.clear()
        found = self._kind(node, scope, name, 0)
        return None if found == _CYCLE else found

    def _kind(self, node: ast.expr, scope: Scope, name: str, depth: int) -> Optional[str]:
        if depth > _MAX_DEPTH:
            return None
        if self._torch_rooted(node):
            return TORCH
        classes = self._analyse().classes
        if isinstance(node, ast.Name):
            if node.id in ("self", "cls") and scope.cls is not None:
                return self._class_kind(scope.cls, name, include_own=True)
            return self._variable_kind(node.id, scope, name, depth)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "super" and scope.cls is not None:
                return self._class_kind(scope.cls, name, include_own=False)
            if isinstance(func, ast.Name) and func.id in classes:
                return self._class_kind(classes[func.id].node, name, include_own=True)
            if isinstance(func, ast.Attribute):  # x.float().cuda(): a method of a torch object
                return _torch_only(self._kind(func.value, scope, name, depth + 1))
            return None
        if isinstance(node, ast.Attribute):
            base = node.value
            if isinstance(base, ast.Name) and base.id == "self" and scope.cls is not None:
                return self._self_attribute_kind(scope.cls, node.attr, name, depth)
            return _torch_only(self._kind(base, scope, name, depth + 1))  # x.grad, model.weight
        if isinstance(node, ast.Subscript):
            return _torch_only(self._kind(node.value, scope, name, depth + 1))
        return None

    def _torch_rooted(self, node: ast.expr) -> bool:
        while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
            node = node.func if isinstance(node, ast.Call) else node.value
        if not isinstance(node, ast.Name):
            return False
        binding = self.ctx.imports.bindings.get(node.id)
        return binding is not None and (binding.qualified == "torch" or binding.qualified.startswith("torch."))

    def _class_kind(self, cls: ast.ClassDef, name: str, include_own: bool, seen: frozenset = frozenset()) -> Optional[str]:
        """An instance of `cls` (include_own) or its base classes (`super()`)."""
        classes = self._analyse().classes
        if cls.name in seen:
            return None
        seen = seen | {cls.name}
        if include_own and (name in _class_members(cls) or name in self._self_values(cls)):
            return OWN
        for base in cls.bases:
            if isinstance(base, ast.Name) and base.id in classes:
                found = self._class_kind(classes[base.id].node, name, True, seen)
                if found is not None:
                    return found
            elif self._torch_rooted(base):
                return TORCH  # nn.Module and friends define .cuda()
        return None

    def _variable_kind(self, var: str, scope: Scope, name: str, depth: int) -> Optional[str]:
        for owner in (scope.function, self.tree):
            if owner is None:
                continue
            values = self._scope_values(owner).get(var)
            if values is not None:
                owner_scope = Scope(owner if owner is not self.tree else None, scope.cls)
                return self._combine(("var", id(owner), var), values, owner_scope, name, depth)
        return None

    def _self_values(self, cls: ast.ClassDef) -> dict[str, list]:
        info = self._analyse().classes.get(cls.name)
        if info is None or info.node is not cls:
            return _self_assignments(cls)
        if info.self_values is None:
            info.self_values = _self_assignments(cls)
        return info.self_values

    def _self_attribute_kind(self, cls: ast.ClassDef, attr: str, name: str, depth: int) -> Optional[str]:
        pairs = self._self_values(cls).get(attr)
        if not pairs:
            return None
        key = ("self", id(cls), attr)
        if key in self._busy:
            return _CYCLE
        self._busy.add(key)
        try:
            kinds = {self._kind(v, Scope(method, cls), name, depth + 1) if v is not None else None for v, method in pairs}
        finally:
            self._busy.discard(key)
        return _aggregate(kinds)

    def _combine(self, key, values: list, scope: Scope, name: str, depth: int) -> Optional[str]:
        if key in self._busy:
            return _CYCLE
        self._busy.add(key)
        try:
            kinds = {v if isinstance(v, str) else self._kind(v, scope, name, depth + 1) if v is not None else None
                     for v in values}
        finally:
            self._busy.discard(key)
        return _aggregate(kinds)

    def _scope_values(self, owner: ast.AST) -> dict[str, list]:
        """name → the values assigned to it in this function (or module); None for a binding
        gpu2mlu cannot follow (loop targets, unpacking, unannotated parameters), TORCH for a
        parameter annotated with a torch type."""
        cached = self._locals.get(id(owner))
        if cached is not None:
            return cached
        values: dict[str, list] = {}
        if isinstance(owner, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = owner.args
            for param in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
                if param is not None:
                    torch_type = param.annotation is not None and self._torch_rooted(param.annotation)
                    values.setdefault(param.arg, []).append(TORCH if torch_type else None)
        body = owner.body if isinstance(owner, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)) else []
        for node in _walk_scope(body):
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                value = getattr(node, "value", None)
                for target in targets:
                    if isinstance(target, ast.Name):
                        values.setdefault(target.id, []).append(None if isinstance(node, ast.AugAssign) else value)
                    else:
                        for inner in ast.walk(target):
                            if isinstance(inner, ast.Name):
                                values.setdefault(inner.id, []).append(None)
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                for inner in ast.walk(node.target):
                    if isinstance(inner, ast.Name):
                        values.setdefault(inner.id, []).append(None)
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                for inner in ast.walk(node.optional_vars):
                    if isinstance(inner, ast.Name):
                        values.setdefault(inner.id, []).append(None)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    values.setdefault((alias.asname or alias.name).split(".")[0], []).append(None)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not owner:
                values.setdefault(node.name, []).append(None)
        self._locals[id(owner)] = values
        return values


def _torch_only(kind: Optional[str]) -> Optional[str]:
    """What a method, attribute or item of an object of this kind is: torch stays torch."""
    return kind if kind in (TORCH, _CYCLE) else None


def _aggregate(kinds: set) -> Optional[str]:
    kinds = kinds - {_CYCLE}
    if not kinds:
        return _CYCLE
    if OWN in kinds:
        return OWN
    return TORCH if kinds == {TORCH} else None


def _class_members(cls: ast.ClassDef) -> dict[str, int]:
    """name → line of every method, property and class attribute `cls` defines in its body."""
    members: dict[str, int] = {}
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            members.setdefault(stmt.name, stmt.lineno)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    members.setdefault(target.id, stmt.lineno)
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            members.setdefault(stmt.target.id, stmt.lineno)
    return members


def _self_assignments(cls: ast.ClassDef) -> dict[str, list]:
    """attr → [(value, method)] for every `self.attr = value` in the methods of `cls`."""
    found: dict[str, list] = {}
    for method in cls.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in _walk_scope(method.body):
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                            and target.value.id == "self"):
                        value = None if isinstance(node, ast.AugAssign) else node.value
                        found.setdefault(target.attr, []).append((value, method))
    return found


def _walk_scope(body: list):
    """Every node of these statements, not descending into nested functions and classes."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _SCOPES):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
