"""A notebook file: checked to be nbformat 4 JSON of a Python kernel, with its cells' source spans."""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from gpu2mlu.kinds import Unconvertible
from gpu2mlu.notebook.escapes import EscapeStyle
from gpu2mlu.notebook.jsonscan import NotebookSpans, ScanError, scan


@dataclass
class Notebook:
    text: str
    data: dict  # as json.loads read it (NaN and Infinity kept as their names)
    spans: NotebookSpans

    @functools.cached_property
    def style(self) -> EscapeStyle:
        """How the writer escaped strings: read from the cells' sources first, the rest if needed."""
        sources = "".join(self.text[t.start:t.end] for c in self.spans.cells for t in c.source.tokens)
        return EscapeStyle.of(sources, self.text)


def parse_json(text: str):
    return json.loads(text, parse_constant=lambda name: name)


def load(text: str) -> Notebook:
    try:
        data = parse_json(text)
    except (ValueError, RecursionError) as exc:
        raise Unconvertible(f"not valid JSON ({exc}); copied unchanged") from None
    if not isinstance(data, dict) or "cells" not in data:
        raise Unconvertible("not a Jupyter notebook (no cells); copied unchanged")
    if data.get("nbformat") != 4:
        raise Unconvertible(f"nbformat {data.get('nbformat')!r} notebook; only nbformat 4 is converted; copied unchanged")
    cells = data["cells"]
    if not isinstance(cells, list) or not all(_is_cell(c) for c in cells):
        raise Unconvertible("not a valid nbformat 4 notebook (malformed cells); copied unchanged")
    language = _language(data.get("metadata"))
    if language and language.lower() not in ("python", "python3", "ipython", "ipython3"):
        raise Unconvertible(f"a {language} notebook, not Python; copied unchanged")
    try:
        spans = scan(text)
    except (ScanError, ValueError) as exc:
        raise Unconvertible(f"gpu2mlu could not read the notebook's layout ({exc}); copied unchanged") from None
    if len(spans.cells) != len(cells) or any(
            span.cell_type != cell["cell_type"] or span.source.text != _text(cell["source"])
            for span, cell in zip(spans.cells, cells)):
        raise Unconvertible("gpu2mlu could not read the notebook's layout; copied unchanged")
    return Notebook(text, data, spans)


def _is_cell(cell) -> bool:
    if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
        return False
    source = cell.get("source")
    return isinstance(source, str) or (isinstance(source, list) and all(isinstance(s, str) for s in source))


def _text(source) -> str:
    return source if isinstance(source, str) else "".join(source)


def _language(metadata) -> str:
    if not isinstance(metadata, dict):
        return ""
    for key, field in (("language_info", "name"), ("kernelspec", "language")):
        value = metadata.get(key)
        if isinstance(value, dict) and isinstance(value.get(field), str):
            return value[field]
    return ""


def source_text(cell: dict) -> str:
    return _text(cell["source"])
