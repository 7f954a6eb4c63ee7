"""Jupyter notebooks (.ipynb): code cells converted as one Python program, IPython syntax and
shell commands handled, the JSON kept byte for byte outside the changed source strings."""
from __future__ import annotations

from gpu2mlu.notebook.convert import convert_notebook
from gpu2mlu.notebook.document import parse_json, source_text


def cell_sources(text: str) -> list[str]:
    """The source of every cell, in order (cell N is item N-1); [] when the text is no notebook.
    Used to read the line an inline `gpu2mlu: ignore[...]` marker sits on."""
    try:
        cells = parse_json(text).get("cells", [])
        return [source_text(cell) for cell in cells]
    except (ValueError, AttributeError, TypeError, KeyError, RecursionError):
        return []


__all__ = ["cell_sources", "convert_notebook"]
