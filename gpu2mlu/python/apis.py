"""Attribute chains and names that resolve to a CUDA API, and the argument rules of their calls."""
from __future__ import annotations

import ast
from typing import Callable, Optional

from gpu2mlu.python.context import FileContext
from gpu2mlu.python.names import Lookup, lookup
from gpu2mlu.python.own_names import TORCH, OwnNames, Scope
from gpu2mlu.python.tokens import call_layout



def chain_of(node: ast.expr) -> Optional[list[ast.expr]]:
    """[Name, Attribute, Attribute, ...] for a pure dotted chain, else None."""
    chain = []
    while isinstance(node, ast.Attribute):
        chain.append(node)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    chain.append(node)
    chain.reverse()
    return chain


class Resolved:
    """A dotted chain whose base is an imported name, with the rule table's verdict."""

    def __init__(self, ctx: FileContext, chain: list[ast.expr]) -> None:
        self.ctx = ctx
        self.chain = chain
        self.binding = ctx.imports.bindings.get(chain[0].id)
        base = self.binding.qualified.split(".") if self.binding else []
        self.base_len = len(base)
        self.segments = base + [n.attr for n in chain[1:]]
        self.found: Optional[Lookup] = lookup(ctx.rules, self.segments) if self.binding and self.binding.qualified.startswith("torch") else None

    @property
    def qualified(self) -> str:
        if self.found is None:
            return ""
        return ".".join(self.segments[:self.found.length])

    @property
    def node(self) -> ast.expr:
        """The chain node that ends at the looked-up name."""
        covered = max(self.found.length - self.base_len, 0)
        return self.chain[covered]


def _line_of_name_end(node: ast.expr) -> int:
    return node.end_lineno


def _spell(ctx: FileContext, target: str) -> str:
    """Spell a fully qualified name with the names this file binds (adding an import if needed)."""
    best = None
    for b in ctx.imports.bindings.values():
        q = b.new_qualified
        if b.is_module and q and (target == q or target.startswith(q + ".")):
            if best is None or (b.module_level, len(q)) > (best.module_level, len(best.new_qualified)):
                best = b
    if best is not None:
        return best.new_local + target[len(best.new_qualified):]
    root = target.split(".")[0]
    module = target.rpartition(".")[0] if root == "torch_mlu" else root
    ctx.need_import(module)
    return target


def convert_chain(ctx: FileContext, chain: list[ast.expr]) -> Optional[Resolved]:
    """Edits and findings for one maximal dotted chain."""
    res = Resolved(ctx, chain)
    index = ctx.index
    binding = res.binding
    if binding is None:
        return None
    base = chain[0]
    rename_base = binding.new_local != binding.local
    found = res.found
    if found is None:
        if rename_base:
            ctx.edit(index.start_of(base), index.end_of(base), binding.new_local, "torch-cuda-api")
        return res
    entry = found.entry
    covered = found.length - res.base_len
    node = chain[max(covered, 0)]
    line = _line_of_name_end(node)
    if found.unknown_member:
        if len(res.segments) > found.length:
            ctx.flag(chain[min(covered + 1, len(chain) - 1)].end_lineno, "GM100", found.unknown_member)
        if rename_base:
            ctx.edit(index.start_of(base), index.end_of(base), binding.new_local, entry.rule)
        return res
    if entry.finding:
        ctx.flag(line, entry.finding, res.qualified)
    if covered <= 0:
        # the entry names the imported object itself: its import statement was converted
        if rename_base:
            ctx.edit(index.start_of(base), index.end_of(base), binding.new_local, entry.rule)
        return res
    target = found.new_name(res.segments)
    base_new = binding.new_qualified
    attrs = chain[1:covered + 1]
    if base_new and target.startswith(base_new + "."):
        rel = target[len(base_new) + 1:].split(".")
        if rename_base:
            ctx.edit(index.start_of(base), index.end_of(base), binding.new_local, entry.rule)
        if len(rel) == len(attrs):
            for attr_node, new in zip(attrs, rel):
                if attr_node.attr != new:
                    end = index.end_of(attr_node)
                    ctx.edit(end - len(attr_node.attr), end, new, entry.rule)
        else:
            ctx.edit(index.end_of(base), index.end_of(node), "." + ".".join(rel), entry.rule)
        return res
    if target == ".".join(res.segments[:found.length]) and base_new == binding.qualified:
        return res  # unchanged name through an unchanged import
    ctx.edit(index.start_of(base), index.end_of(node), _spell(ctx, target), entry.rule)
    return res


def convert_method(ctx: FileContext, node: ast.Attribute, called: bool, own: OwnNames,
                   scope: Callable[[], Scope]) -> None:
    """`.cuda()`, `.is_cuda`, `.cuda_stream` on tensors, modules and streams (`scope`: where the
    use stands, asked only for the project's own names)."""
    rules = ctx.rules
    new = rules.attribute_methods.get(node.attr) or (rules.called_methods.get(node.attr) if called else None)
    if new is None:
        return
    if isinstance(node.ctx, (ast.Store, ast.Del)):
        return  # `self.is_cuda = ...`: the project's attribute (torch's are read-only)
    chain = chain_of(node.value)
    if chain is not None and chain[0].id in ctx.imports.bindings:
        return  # a module attribute (numba.cuda, cupy.cuda, torch.cuda): not a tensor method
    defined = own.definition(node.attr)
    if defined is not None:
        kind = own.kind(node.value, scope(), node.attr)
        if kind != TORCH:
            if kind is None:
                ctx.flag(node.end_lineno, "GM216", _shown(ctx, node), attr=node.attr, defined=str(defined))
            return
    end = ctx.index.end_of(node)
    ctx.edit(end - len(node.attr), end, new, "tensor-cuda-method")


def _shown(ctx: FileContext, node: ast.Attribute) -> str:
    text = ctx.text[ctx.index.start_of(node):ctx.index.end_of(node)]
    return text if len(text) <= 60 and "\n" not in text else "." + node.attr


def _call_spec(res: Resolved):
    """The argument rules of a name resolved exactly (not a prefix, not an unknown member)."""
    found = res.found
    if found is None or found.unknown_member or found.length != len(res.segments):
        return None
    return found.entry.call


def convert_call(ctx: FileContext, call: ast.Call, res: Resolved) -> None:
    """Argument rules: add the 'mlu' device, keywords for shifted positionals, renamed keywords."""
    spec = _call_spec(res)
    if spec is None:
        return
    index, rule = ctx.index, res.found.entry.rule
    try:
        layout = call_layout(ctx.text, index.end_of(call.func), index.end_of(call))
    except ValueError:
        return
    positional = [a for a in call.args]
    keywords = {k.arg for k in call.keywords if k.arg}
    if any(isinstance(a, ast.Starred) for a in positional) and (spec.insert or spec.positional_to_keywords):
        ctx.flag(call.lineno, "GM213", res.qualified)
        return
    inserts: dict[int, str] = {}
    insert = spec.insert
    if insert and spec.insert_unless_positional is not None and len(positional) >= spec.insert_unless_positional:
        insert = None
    if insert and spec.insert_unless_keyword and spec.insert_unless_keyword in keywords:
        insert = None
    if insert:
        if layout.arg_starts:
            inserts[layout.arg_starts[0]] = insert + ", "
        else:
            inserts[layout.open + 1] = insert
    for i, name in enumerate(spec.positional_to_keywords):
        if i < len(positional) and i < len(layout.arg_starts):
            pos = layout.arg_starts[i]
            inserts[pos] = inserts.get(pos, "") + f"{name}="
    renames = dict(spec.rename_keywords)
    for kw in call.keywords:
        if kw.arg in renames:
            start = index.start_of(kw)
            ctx.edit(start, start + len(kw.arg), renames[kw.arg], rule)
    if spec.add_keyword and not _has_keyword(call, spec.add_keyword):
        if call.args or call.keywords:
            pos = layout.last_end
            text = (" " if layout.trailing_comma else ", ") + spec.add_keyword
            if layout.trailing_comma:
                pos = layout.close
                text = spec.add_keyword
            inserts[pos] = inserts.get(pos, "") + text
        else:
            inserts[layout.open + 1] = inserts.get(layout.open + 1, "") + spec.add_keyword
    for pos, text in inserts.items():
        ctx.edit(pos, pos, text, rule)


def _has_keyword(call: ast.Call, keyword_text: str) -> bool:
    name = keyword_text.split("=", 1)[0].strip()
    return any(k.arg == name for k in call.keywords)


def convert_bare_reference(ctx: FileContext, node: ast.expr, res: Resolved, decorator: bool) -> None:
    """A call-rule API used without a call: decorators get one, other uses are reported."""
    spec = _call_spec(res)
    if spec is None:
        return
    found = res.found
    if decorator and spec.add_keyword:
        end = ctx.index.end_of(node)
        ctx.edit(end, end, f"({spec.add_keyword})", found.entry.rule)
    elif spec.insert and spec.insert_unless_positional is None:
        ctx.flag(node.end_lineno, "GM211", res.qualified)


def convert_profiler_call(ctx: FileContext, call: ast.Call) -> None:
    """profile(use_cuda=True) → profile(use_device='mlu')."""
    for kw in call.keywords:
        if kw.arg != "use_cuda":
            continue
        start, end = ctx.index.start_of(kw), ctx.index.end_of(kw)
        value = kw.value
        if isinstance(value, ast.Constant) and value.value is True:
            ctx.edit(start, end, "use_device='mlu'", "profiler")
        elif isinstance(value, ast.Constant) and value.value in (False, None):
            continue
        else:
            source = ctx.text[ctx.index.start_of(value):ctx.index.end_of(value)]
            if "\n" in source or "\r" in source:
                ctx.flag(kw.lineno, "GM214", "use_cuda")
                continue
            if not isinstance(value, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)):
                source = f"({source})"
            ctx.edit(start, end, f"use_device='mlu' if {source} else None", "profiler")
