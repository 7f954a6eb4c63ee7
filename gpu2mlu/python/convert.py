"""Convert one Python source text: find the spans that must change, change only those."""
from __future__ import annotations

import ast
import bisect
import gc
import re
import time
from contextlib import contextmanager
from typing import Optional

from gpu2mlu.changes import changes_from_edits
from gpu2mlu.edits import Edit, EditConflict, apply_edits, normalize
from gpu2mlu.python import apis, device_dicts, devices, frameworks, literals
from gpu2mlu.python.device_dicts import DeviceDicts
from gpu2mlu.python.context import FileContext
from gpu2mlu.python.imports import ImportConverter, imports_torch, imports_torch_mlu
from gpu2mlu.python.insert import (
    _CANDIDATE_STR, _MAX_EXTRA_LINES, RULE as IMPORT_RULE, anchor_in_head, insertion,
    module_level_anchor,
)
from gpu2mlu.python.names import lookup
from gpu2mlu.python.own_names import OwnNames, Scope
from gpu2mlu.python.syntax import check_parses, parse
from gpu2mlu.python.triggers import TRIGGER_WORDS, is_triggered, names_pattern, trigger_offsets
from gpu2mlu.results import Change, Conversion
from gpu2mlu.rules import RuleSet
from gpu2mlu.source import LineIndex

_IMPORT_WORD = re.compile(r"\bimport\b")
_TORCH_MLU_IMPORT = re.compile(r"^[ \t]*(?:import|from)[ \t]+torch_mlu\b", re.M)
_TORCH_MLU_INLINE = re.compile(r"[;:][ \t]*(?:import|from)[ \t]+torch_mlu\b")  # `try: import torch; import torch_mlu`
# A torch import that is not at column 0 (in a block, after `try:`): the head parse cannot see it.
_OTHER_TORCH_IMPORT = re.compile(r"(?<![\w.])(?:import[ \t][^\r\n#]*\btorch\b|from[ \t]+torch\b)(?!_)")
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


class ConversionError(Exception):
    """The converter produced code that does not parse: an internal error, reported, never written."""


def convert_python(text: str, rules: RuleSet, timing: Optional[dict] = None) -> Conversion:
    timing = timing if timing is not None else {}
    t0 = time.perf_counter()
    triggered = is_triggered(text, rules)
    _add(timing, "scan", t0)
    conversion = None if triggered else _insert_only(text, rules, timing)
    if conversion is None:
        with _gc_paused():
            return _convert_full(text, rules, timing)
    if conversion.changed:  # the fast path read at most the file's head: the rest must parse too
        t0 = time.perf_counter()
        check_parses(text)
        _add(timing, "parse", t0)
    return conversion


@contextmanager
def _gc_paused():
    """No cyclic garbage collection while one file is converted. A big file's AST is millions of
    objects without cycles, which the collector would walk again and again as they are made and
    used (it tripled the time of a 5 MB file); reference counting still frees them, and any cycle
    made meanwhile waits for the next collection."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _add(timing: dict, key: str, since: float) -> float:
    now = time.perf_counter()
    timing[key] = timing.get(key, 0.0) + now - since
    return now


def _parse(text: str, timing: dict) -> ast.Module:
    t0 = time.perf_counter()
    try:
        return parse(text)
    finally:
        _add(timing, "parse", t0)


def _insert_only(text: str, rules: RuleSet, timing: dict) -> Optional[Conversion]:
    """No rule word anywhere: at most `import torch_mlu` is needed, found from the file's head.

    None when only the full parse can tell. The caller still checks that the whole file parses.
    """
    if "torch" not in text or ("torch_mlu" in text and _TORCH_MLU_IMPORT.search(text)):
        return Conversion(text)
    if "torch_mlu" in text and _TORCH_MLU_INLINE.search(text):
        return None  # only a full parse tells whether it is code
    index = LineIndex(_head(text))
    t0 = time.perf_counter()
    head, complete = anchor_in_head(index.text, index)
    _add(timing, "parse", t0)
    if head is None:
        if complete and not _OTHER_TORCH_IMPORT.search(text):
            return Conversion(text)
        return None
    anchor = module_level_anchor(head)
    if anchor is None or (anchor.end_lineno >= len(index.starts) and len(index.text) < len(text)):
        return None  # only in a function, or cut off by the head
    before = any(rules.needs_torch_mlu(t) for t in _anchor_targets(anchor))
    edit = insertion(index.text, index, anchor, ["import torch_mlu"], before)
    return _finish(text, index, [edit], [], anchor, ["import torch_mlu"], timing, False, rules.disabled)


def _head(text: str) -> str:
    """The file up to some lines past its first column-0 torch import (all of it if none)."""
    m = _CANDIDATE_STR.search(text)
    if m is None:
        return text
    end = m.start()
    for _ in range(_MAX_EXTRA_LINES + 2):
        end = text.find("\n", end) + 1
        if end == 0:
            return text
    return text[:end]


def _anchor_targets(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.module:
        return [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return []


class _Walker:
    """Visits only the statements that hold a trigger line, and every expression inside them."""

    def __init__(self, ctx: FileContext, lines: list[int], tree: ast.Module) -> None:
        self.ctx = ctx
        self.lines = lines
        self.dicts = DeviceDicts(ctx.rules, tree)
        self.own = OwnNames(ctx, tree)
        self.decorators: set[int] = set()
        self.map_location_dicts: set[int] = set()
        self.settings: set[int] = set()  # literals that are a framework's settings (frameworks.py)
        self.parents: dict[int, ast.AST] = {}  # id(node) → parent, for the nodes visited
        self.scopes: list[ast.stmt] = []  # the enclosing function and class definitions

    def parent_of(self, node: ast.AST) -> Optional[ast.AST]:
        return self.parents.get(id(node))

    def _hit(self, stmt: ast.stmt) -> bool:
        first = stmt.lineno
        for deco in getattr(stmt, "decorator_list", ()):
            first = min(first, deco.lineno)
        i = bisect.bisect_left(self.lines, first)
        return i < len(self.lines) and self.lines[i] <= stmt.end_lineno

    def block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            if self._hit(stmt) and not isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self.statement(stmt)

    def statement(self, stmt: ast.stmt) -> None:
        scope = isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        if scope:
            self.scopes.append(stmt)
        try:
            self._fields(stmt)
        finally:
            if scope:
                self.scopes.pop()

    def scope(self) -> Scope:
        function = next((s for s in reversed(self.scopes) if not isinstance(s, ast.ClassDef)), None)
        cls = next((s for s in reversed(self.scopes) if isinstance(s, ast.ClassDef)), None)
        return Scope(function, cls)

    def function_name(self) -> Optional[str]:
        function = self.scope().function
        return function.name if function is not None else None

    def _fields(self, stmt: ast.stmt) -> None:
        for field, value in ast.iter_fields(stmt):
            if isinstance(value, list):
                if value and isinstance(value[0], ast.stmt):
                    self.block(value)
                    continue
                for item in value:
                    if isinstance(item, ast.excepthandler):
                        if item.type is not None:
                            self.expr(item.type, item)
                        self.block(item.body)
                    elif hasattr(ast, "match_case") and isinstance(item, ast.match_case):
                        if item.guard is not None:
                            self.expr(item.guard, item)
                        self.block(item.body)
                    elif isinstance(item, ast.AST):
                        if field == "decorator_list":
                            self.decorators.add(id(item))
                        self.expr(item, stmt)
            elif isinstance(value, ast.AST):
                self.expr(value, stmt)

    def expr(self, root: ast.AST, parent: ast.AST) -> None:
        stack = [(root, parent)]
        parents = self.parents
        while stack:
            node, parent = stack.pop()
            parents[id(node)] = parent
            self.visit(node, parent)
            for child in ast.iter_child_nodes(node):
                stack.append((child, node))

    def visit(self, node: ast.AST, parent: ast.AST) -> None:
        ctx = self.ctx
        if isinstance(node, (ast.Attribute, ast.Name)):
            called = isinstance(parent, ast.Call) and parent.func is node
            if isinstance(node, ast.Attribute):
                apis.convert_method(ctx, node, called, self.own, self.scope)
            if isinstance(parent, ast.Attribute) and parent.value is node:
                return  # not the outermost piece of a dotted chain
            chain = apis.chain_of(node)
            if chain is None:
                return
            res = apis.convert_chain(ctx, chain)
            if res is None:
                return
            if called and ".".join(res.segments) in ctx.rules.profiler_calls:
                apis.convert_profiler_call(ctx, parent)
            if res.found is None:
                return
            if called:
                apis.convert_call(ctx, parent, res)
            else:
                apis.convert_bare_reference(ctx, node, res, id(node) in self.decorators)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in self.settings or isinstance(parent, (ast.Expr, ast.JoinedStr, ast.FormattedValue)):
                return  # docstrings and f-string pieces
            if _is_log_call(parent):
                return
            as_key = (isinstance(parent, ast.Dict) and id(parent) not in self.map_location_dicts
                      and any(k is node for k in parent.keys)) or (
                isinstance(parent, ast.Subscript) and parent.slice is node)
            literals.convert_string(ctx, node, as_key)
            if node.value.endswith(":"):
                devices.convert_prefix(ctx, node, self.parent_of, self.function_name())
        elif isinstance(node, ast.JoinedStr):
            if not _is_log_call(parent) and not isinstance(parent, ast.Expr):
                literals.convert_fstring(ctx, node)
        elif isinstance(node, ast.keyword) and node.arg == "map_location" and isinstance(node.value, ast.Dict):
            self.map_location_dicts.add(id(node.value))
        if isinstance(node, (ast.Dict, ast.Call)):
            frameworks.visit(ctx, node, self.settings)
            device_dicts.convert_dict(ctx, node, self.dicts, self.parent_of)
        elif isinstance(node, ast.Subscript):
            device_dicts.convert_subscript(ctx, node, self.dicts)


def _is_log_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name):
        return func.id == "print"
    return isinstance(func, ast.Attribute) and func.attr in literals.LOG_METHODS


def _imports(tree: ast.Module, text: str, index: LineIndex, rules: RuleSet):
    """Pass 1: every import statement, with whether it runs at module level."""
    converter = ImportConverter(text, index, rules)
    lines = sorted({index.line_of(m.start()) for m in _IMPORT_WORD.finditer(text)})
    statements: list[ast.stmt] = []

    def block(body, module_level):
        for stmt in body:
            i = bisect.bisect_left(lines, stmt.lineno)
            if i >= len(lines) or lines[i] > stmt.end_lineno:
                continue
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                statements.append(stmt)
                converter.visit(stmt, module_level)
                continue
            inner_level = module_level and not isinstance(stmt, _SCOPES)
            for value in ast.iter_fields(stmt):
                items = value[1] if isinstance(value[1], list) else []
                if items and isinstance(items[0], ast.stmt):
                    block(items, inner_level)
                for item in items:
                    if isinstance(item, ast.excepthandler) or (
                            hasattr(ast, "match_case") and isinstance(item, ast.match_case)):
                        block(item.body, inner_level)

    block(tree.body, True)
    return converter.plan, statements


def _package_findings(ctx: FileContext, statements: list[ast.stmt]) -> None:
    packages = ctx.rules.packages
    for stmt in statements:
        if isinstance(stmt, ast.Import):
            modules = [(a.name, a) for a in stmt.names]
        elif isinstance(stmt, ast.ImportFrom) and not stmt.level and stmt.module:
            modules = [(f"{stmt.module}.{a.name}", a) for a in stmt.names]
        else:
            continue
        for name, alias in modules:
            parts = name.split(".")
            for key in (".".join(parts[:2]), parts[0]):
                if key in packages:
                    line = getattr(alias, "lineno", stmt.lineno)
                    ctx.flag(line, "GM301", key, suggestion=packages[key])
                    break


def _convert_full(text: str, rules: RuleSet, timing: dict) -> Conversion:
    tree = _parse(text, timing)
    t0 = time.perf_counter()
    index = LineIndex(text)
    plan, statements = _imports(tree, text, index, rules)
    ctx = FileContext(text, index, rules, plan)
    _package_findings(ctx, statements)
    lines = {index.line_of(i) for i in trigger_offsets(text, TRIGGER_WORDS)}
    bound = [
        b.local for b in plan.bindings.values()
        if b.new_local != b.local or (b.qualified.startswith("torch.") and lookup(rules, b.qualified.split(".")))
    ]
    extra = names_pattern(bound)
    if extra is not None:
        lines.update(index.line_of(m.start()) for m in extra.finditer(text))
    walker = _Walker(ctx, sorted(lines), tree)
    walker.block(tree.body)
    edits = list(plan.edits) + ctx.edits
    added: list[str] = []
    anchor = module_level_anchor(tree) or next((s for s in statements if imports_torch(s)), None)
    if anchor is not None:
        if not any(imports_torch_mlu(s) for s in statements):
            added.append("import torch_mlu")
        for module in ctx.extra_imports:
            line = f"import {module}"
            if line not in added and not (module == "torch_mlu" and "import torch_mlu" in added):
                added.append(line)
        if added:
            before = id(anchor) in plan.needs_torch_mlu
            edits.append(insertion(text, index, anchor, added, before))
    _add(timing, "edit", t0)
    return _finish(text, index, edits, ctx.findings, anchor, added, timing, tree, rules.disabled)


def _finish(text, index, edits, findings, anchor, added, timing, reparse, disabled=frozenset()) -> Conversion:
    t0 = time.perf_counter()
    if disabled:  # rule families the project switched off
        edits = [e for e in edits if e.rule not in disabled]
        if IMPORT_RULE in disabled:
            added = []
    try:
        edits = normalize(edits)
    except EditConflict as exc:
        raise ConversionError(f"conflicting edits: {exc}") from None
    new_text = apply_edits(text, edits) if edits else text
    _add(timing, "edit", t0)
    if reparse is not False and new_text != text:
        t1 = time.perf_counter()
        try:
            _check_changed_statements(text, index, reparse, edits)
        except SyntaxError as exc:
            raise ConversionError(f"converted code does not parse ({exc.msg})") from None
        finally:
            _add(timing, "parse", t1)
    changes = _changes(text, index, edits, anchor, added)
    unique = sorted(set(findings), key=lambda f: (f.line, f.id, f.message))
    return Conversion(new_text, tuple(changes), tuple(unique), tuple(edits))


def _check_changed_statements(text: str, index: LineIndex, tree: ast.Module, edits: list[Edit]) -> None:
    """Safety net: re-parse every top-level statement that an edit touched, as converted.

    Edits never cross statements, so checking the touched top-level statements is as strong as
    re-parsing the file, at a fraction of the cost for large files.
    """
    body = tree.body
    starts = [index.starts[min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", ())]) - 1]
              for stmt in body]
    touched: dict[int, list[Edit]] = {}
    for edit in edits:
        if edit.rule == IMPORT_RULE:
            continue
        i = bisect.bisect_right(starts, edit.start) - 1
        touched.setdefault(i, []).append(edit)
    for i, group in touched.items():
        if i < 0:
            continue
        start = starts[i]
        end = index.end_of(body[i])
        shifted = [Edit(e.start - start, e.end - start, e.text, e.rule) for e in group]
        ast.parse(apply_edits(text[start:end], shifted))
    for edit in edits:
        if edit.rule == IMPORT_RULE:
            ast.parse(edit.text.strip().replace("; ", "\n").lstrip(";"))


def _changes(text: str, index: LineIndex, edits: list[Edit], anchor, added: list[str]) -> list[Change]:
    """One record per changed input line and rule; added import lines separately, on the line of
    the torch import they follow."""
    changes = changes_from_edits(text, [e for e in edits if e.rule != IMPORT_RULE], index)
    if anchor is not None:
        changes += [Change(anchor.end_lineno, IMPORT_RULE, "", stmt, added=True) for stmt in added]
    changes.sort(key=lambda c: (c.line, not c.added))
    return changes
