"""Notebooks built in tests, in the layouts real writers use, and the conversions checked on them."""
import json

from gpu2mlu.notebook import convert_notebook
from gpu2mlu.rules import load_ruleset

# json.dumps options: Jupyter's own layout (indent=1, ensure_ascii off), Python's defaults, compact.
LAYOUTS = {
    "jupyter": dict(indent=1, ensure_ascii=False),
    "default": dict(),
    "compact": dict(separators=(",", ":")),
}


def code(source, outputs=(), count=None):
    return {"cell_type": "code", "execution_count": count, "metadata": {}, "outputs": list(outputs),
            "source": source}


def markdown(source):
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def lines(text):
    """A cell source the way Jupyter stores it: one string per line."""
    return text.splitlines(keepends=True)


def notebook(*cells, metadata=None):
    return {"cells": list(cells),
            "metadata": metadata if metadata is not None else {
                "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                "language_info": {"name": "python", "version": "3.10.0"}},
            "nbformat": 4, "nbformat_minor": 5}


def source_as(style, text):
    return lines(text) if style == "list" else text


def convert(nb, layout="jupyter", **dump):
    text = nb if isinstance(nb, str) else json.dumps(nb, **{**LAYOUTS[layout], **dump})
    return convert_notebook(text, load_ruleset("2.4"), "nb.ipynb")


def sources(text):
    """Each cell's source as one string."""
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in json.loads(text)["cells"]]


def assert_idempotent(result):
    again = convert(result.text)
    assert again.text == result.text
    assert not again.changes
