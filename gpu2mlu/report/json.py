"""report.json: the same content as report.md, for tools."""
from __future__ import annotations

import json

from gpu2mlu import __version__
from gpu2mlu.report.model import RunResult, conversion

SCHEMA_VERSION = 1


def _with_cell(row: dict, item) -> dict:
    if item.cell is not None:  # notebooks: `line` counts within the cell
        row["cell"] = item.cell
    return row


def _file_row(f) -> dict:
    row = {"file": f.path, "kind": f.kind, "status": f.status}
    rate = conversion([f])
    if rate["rate"] is not None:  # only files with a CUDA site: keeps the list small for big trees
        row["conversion"] = rate
    return row


def render(run: RunResult) -> str:
    data = {
        "tool": "gpu2mlu",
        "version": __version__,
        "schema": SCHEMA_VERSION,
        "input": run.input,
        "output": run.output,
        "target": run.line,
        "changes": [
            _with_cell({"file": f.path, "line": c.line, "rule": c.rule, "before": c.before, "after": c.after,
                        "kind": "add" if c.added else "change"}, c)
            for f in run.files for c in f.changes
        ],
        "findings": [
            _with_cell({"file": f.path, "line": x.line, "id": x.id, "message": x.message,
                        "suggestion": x.suggestion}, x)
            for f in run.files for x in f.findings
        ],
        "files": [_file_row(f) for f in run.files],
        "skipped": [{"file": f.path, "reason": f.reason} for f in run.skipped],
        "summary": run.summary,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
