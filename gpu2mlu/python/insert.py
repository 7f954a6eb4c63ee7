"""`import torch_mlu`: added once, right after the first statement that imports torch."""
from __future__ import annotations

import ast
import re
from typing import Iterator, Optional

from gpu2mlu.edits import Edit
from gpu2mlu.python.imports import imports_torch
from gpu2mlu.source import LineIndex

RULE = "import-torch-mlu"
_COMPOUND_BLOCKS = (ast.If, ast.Try, ast.With)  # module-level code still runs at import time
if hasattr(ast, "TryStar"):
    _COMPOUND_BLOCKS += (ast.TryStar,)


def _module_level_imports(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            yield stmt
        elif isinstance(stmt, _COMPOUND_BLOCKS):
            for field in ("body", "orelse", "finalbody"):
                yield from _module_level_imports(getattr(stmt, field, []) or [])
            for handler in getattr(stmt, "handlers", []):
                yield from _module_level_imports(handler.body)


def module_level_anchor(tree: ast.Module) -> Optional[ast.stmt]:
    for stmt in _module_level_imports(tree.body):
        if imports_torch(stmt):
            return stmt
    return None


def insertion(text: str, index: LineIndex, anchor: ast.stmt, lines: list[str], before: bool) -> Edit:
    """An edit that puts `lines` (import statements) beside `anchor`, in its own style."""
    start, end = index.start_of(anchor), index.end_of(anchor)
    line_start = index.starts[anchor.lineno - 1]
    prefix = text[line_start:start]
    if prefix.strip():  # `try: import torch` on one line: stay on that line
        stmt = "; ".join(lines)
        if before:
            return Edit(start, start, f"{stmt}; ", RULE)
        return Edit(end, end, f"; {stmt}", RULE)
    newline = index.newline_after(anchor.end_lineno) or index.first_newline()
    if before:
        block = "".join(f"{prefix}{line}{newline}" for line in lines)
        return Edit(line_start, line_start, block, RULE)
    _, line_end = index.line_span(anchor.end_lineno)
    own_newline = index.newline_after(anchor.end_lineno)
    block = "".join(f"{newline}{prefix}{line}" for line in lines)
    # after the anchor's own line (a trailing comment stays with it)
    return Edit(line_end, line_end, block, RULE) if not own_newline else Edit(
        line_end + len(own_newline), line_end + len(own_newline),
        "".join(f"{prefix}{line}{own_newline}" for line in lines), RULE)


# Fast path for files that mention nothing the rules convert: find the anchor by parsing only
# the head of the file, never all of it.
_CANDIDATE_STR = re.compile(r"^[ \t]*(?:import[ \t][^\r\n#;]*\btorch\b(?!_)|from[ \t]+torch\b(?!_))", re.M)
_MAX_EXTRA_LINES = 60


def anchor_in_head(text: str, index: LineIndex) -> tuple[Optional[ast.Module], bool]:
    """(parsed head of the file ending at the first torch import, whether it was found)."""
    m = _CANDIDATE_STR.search(text)
    if m is None:
        return None, True  # no torch import at the start of a line
    line = index.line_of(m.start())
    for extra in range(_MAX_EXTRA_LINES):
        last = min(line + extra, len(index.starts))
        head_end = index.line_span(last)[1]
        try:
            tree = ast.parse(text[:head_end])
        except SyntaxError:
            if last == len(index.starts):
                break
            continue
        return tree, True
    return None, False  # inside a string, or a statement too long: parse the whole file
