"""Convert a notebook: all code cells as one Python program, IPython syntax masked, the edits
mapped back to each cell and spliced into the JSON text.

The cells run in one namespace, so they are converted together, in order: `import torch as th`
in cell 1 resolves `th.cuda` in cell 7, and exactly one `import torch_mlu` is added, after the
first torch import.
"""
from __future__ import annotations

import ast
import bisect
from dataclasses import dataclass, field, replace
from typing import Optional

from gpu2mlu.changes import conversion_from_edits
from gpu2mlu.edits import Edit, apply_edits
from gpu2mlu.kinds import Unconvertible
from gpu2mlu.notebook.document import Notebook, load, parse_json
from gpu2mlu.notebook.ipython import WHOLE_LINE, MaskedCell, mask_cell
from gpu2mlu.notebook.jsonscan import SourceSpan
from gpu2mlu.notebook.pieces import convert_piece
from gpu2mlu.notebook.splice import SpliceError, json_edits
from gpu2mlu.python import ParseError, convert_python
from gpu2mlu.python.convert import ConversionError
from gpu2mlu.python.insert import RULE as IMPORT_RULE
from gpu2mlu.results import Change, Conversion, Finding
from gpu2mlu.rules import RuleSet
from gpu2mlu.source import LineIndex


class MappingError(Exception):
    """An edit of the program that does not fall inside one cell's Python: a bug."""


@dataclass(eq=False)  # cells are told apart by identity: two cells may hold the same text
class _Cell:
    number: int  # 1-based, counting every cell as Jupyter shows them
    span: SourceSpan
    source: str
    masked: MaskedCell
    parsed: bool = False  # its (masked) Python parses: it is part of the program
    synthetic: bool = False  # in the program, its last line got a newline the cell does not have
    edits: list[Edit] = field(default_factory=list)  # on the source (+ the synthetic newline)
    findings: list[Finding] = field(default_factory=list)  # lines within the cell


def convert_notebook(text: str, rules: RuleSet, rel: str) -> Conversion:
    notebook = load(text)
    cells = [
        _Cell(n, span.source, span.source.text, mask_cell(span.source.text))
        for n, span in enumerate(notebook.spans.cells, 1) if span.cell_type == "code"
    ]
    for cell in cells:
        cell.parsed = _parses(cell, rules)
    try:
        _Program([c for c in cells if c.parsed]).convert(rules)
        for cell in cells:
            if cell.parsed or cell.masked.python is None:  # a cell that does not parse stays as it is
                for piece in cell.masked.pieces:
                    edits, findings = convert_piece(piece, cell.source, rules)
                    cell.edits += edits
                    cell.findings += findings
        return _finish(notebook, cells)
    except (MappingError, SpliceError) as exc:
        raise Unconvertible(f"gpu2mlu could not map its edits into the notebook ({exc}); copied unchanged") from None


def _parses(cell: _Cell, rules: RuleSet) -> bool:
    python = cell.masked.python
    if python is None:
        return False
    try:
        ast.parse(python)
    except SyntaxError as exc:
        lines = python.count("\n") + 1
        line = min(max(exc.lineno or 1, 1), lines)
        cell.findings.append(rules.finding(line, "GM600", exc.msg or "invalid syntax"))
        return False
    except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes, absurd nesting
        cell.findings.append(rules.finding(1, "GM600", str(exc) or type(exc).__name__))
        return False
    return True


class _Program:
    """The code cells' masked Python, joined; maps program offsets back to cell offsets."""

    def __init__(self, cells: list[_Cell]) -> None:
        self.cells = [c for c in cells if c.masked.python]  # an empty cell holds nothing to map
        parts, self.first_lines, self.indexes = [], [], []
        line = 1
        for cell in self.cells:
            # every part ends with "\n": a last line without one (or ending in a lone "\r", which
            # would join the next part's first "\n") gets one the cell does not have
            cell.synthetic = not cell.source.endswith("\n")
            part = cell.masked.python + ("\n" if cell.synthetic else "")
            parts.append(part)
            self.first_lines.append(line)
            index = LineIndex(cell.source + ("\n" if cell.synthetic else ""))
            self.indexes.append(index)
            line += len(index.starts) - 1  # a part ends with a newline: its last start is the next part's
        self.text = "".join(parts)
        self.index = LineIndex(self.text)

    def convert(self, rules: RuleSet) -> None:
        if not self.text.strip():
            return
        try:
            conversion = convert_python(self.text, rules)
        except ParseError as exc:
            raise Unconvertible(f"the code cells together are not valid Python ({exc}); copied unchanged") from None
        except ConversionError as exc:
            raise Unconvertible(f"gpu2mlu could not convert it safely ({exc}); copied unchanged") from None
        anchor = next((self._entry(c.line) for c in conversion.changes if c.added and c.rule == IMPORT_RULE), None)
        for edit in conversion.edits:
            k = self._entry_of_edit(edit, anchor)
            cell = self.cells[k]
            cell.edits.append(Edit(self._cell_offset(k, edit.start), self._cell_offset(k, edit.end),
                                   edit.text, edit.rule))
        for finding in conversion.findings:
            k = self._entry(finding.line)
            self.cells[k].findings.append(replace(finding, line=finding.line - self.first_lines[k] + 1))

    def _entry(self, line: int) -> int:
        return max(bisect.bisect_right(self.first_lines, line) - 1, 0)

    def _entry_of_edit(self, edit: Edit, anchor: Optional[int]) -> int:
        line = self.index.line_of(edit.start)
        k = self._entry(line)
        at_boundary = k > 0 and line == self.first_lines[k] and edit.start == self.index.starts[line - 1]
        if edit.is_insertion and at_boundary and anchor != k:
            return k - 1  # an insertion between two cells belongs to the one that ends there
        return k

    def _cell_offset(self, k: int, offset: int) -> int:
        line = self.index.line_of(offset)
        col = offset - self.index.starts[line - 1]
        index = self.indexes[k]
        cell_line = line - self.first_lines[k] + 1
        # the last start of a cell's index is its end (the cell text ends with a newline)
        if cell_line < 1 or cell_line > len(index.starts) or (cell_line == len(index.starts) and col):
            raise MappingError(f"offset {offset} is outside cell {self.cells[k].number}")
        limit = self.cells[k].masked.masked.get(cell_line)
        if limit is not None and col > 0 and (limit == WHOLE_LINE or col < limit):
            raise MappingError(f"an edit touches masked IPython syntax in cell {self.cells[k].number}")
        return index.starts[cell_line - 1] + col


def _finish(notebook: Notebook, cells: list[_Cell]) -> Conversion:
    text = notebook.text
    changes: list[Change] = []
    findings: list[Finding] = []
    edits: list[Edit] = []
    expected: dict[int, str] = {}
    for cell in cells:
        if not cell.edits and not cell.findings:
            continue
        cell_text = cell.source + ("\n" if cell.synthetic else "")
        conversion = conversion_from_edits(cell_text, cell.edits, cell.findings)
        # lines added at the top of a cell follow "line 0": shown at line 1, as Python files show them
        changes += [replace(c, cell=cell.number, line=max(c.line, 1)) for c in conversion.changes]
        findings += [replace(f, cell=cell.number) for f in conversion.findings]
        if conversion.edits:
            source_edits = _without_synthetic_newline(cell, list(conversion.edits))
            expected[cell.number] = apply_edits(cell.source, source_edits)
            edits += json_edits(text, cell.span, source_edits, notebook.style, notebook.spans.separator)
    changes.sort(key=lambda c: (c.cell, c.line, not c.added))
    findings.sort(key=lambda f: (f.cell, f.line, f.id, f.message))
    if not edits:
        return Conversion(text, tuple(changes), tuple(findings))
    new_text = apply_edits(text, edits)
    _check(notebook, new_text, expected)
    return Conversion(new_text, tuple(changes), tuple(findings), tuple(sorted(edits)))


def _without_synthetic_newline(cell: _Cell, edits: list[Edit]) -> list[Edit]:
    """The edits as edits of the cell's own source, which has no newline after its last line.

    Lines added after that last line (the `import torch_mlu` after a final `import torch`) start
    with a newline instead of ending with one, so the cell still ends without a newline."""
    if not cell.synthetic:
        return edits
    n = len(cell.source)
    result: list[Edit] = []
    for edit in edits:
        if edit.start <= n < edit.end:
            raise MappingError(f"an edit replaces the end of cell {cell.number}")
        if edit.start == n + 1:
            if not edit.text.endswith("\n"):
                raise MappingError(f"an edit after the end of cell {cell.number}")
            text = "\n" + edit.text[:-1]
            if result and result[-1].start == result[-1].end == n:
                text = result.pop().text + text
            edit = Edit(n, n, text, edit.rule)
        result.append(edit)
    return result


def _check(notebook: Notebook, new_text: str, expected: dict[int, str]) -> None:
    """The new notebook equals the old one except for the changed sources, which read as meant."""
    try:
        new = parse_json(new_text)
    except ValueError as exc:
        raise Unconvertible(f"gpu2mlu could not rewrite the notebook safely ({exc}); copied unchanged") from None
    old = notebook.data
    for number, source in expected.items():
        before, after = old["cells"][number - 1]["source"], new["cells"][number - 1]["source"]
        joined = after if isinstance(after, str) else "".join(after)
        if type(before) is not type(after) or joined != source:
            raise Unconvertible("gpu2mlu could not rewrite the notebook safely; copied unchanged")
        old["cells"][number - 1]["source"] = after
    if new != old:
        raise Unconvertible("gpu2mlu could not rewrite the notebook safely; copied unchanged")
