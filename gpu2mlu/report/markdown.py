"""report.md: torch_gpu2mlu's change table (same heading, columns and row text), then findings,
skipped files and a summary."""
from __future__ import annotations

import re

from gpu2mlu.report.model import RunResult, conversion, location
from gpu2mlu.rules import load_ruleset


_TAG = re.compile(r"<(?=[A-Za-z/!?])")  # `<cuda_runtime.h>` would render as an HTML tag and vanish


def _cell(text: str) -> str:
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    text = _TAG.sub("&lt;", text)
    return text.replace("\r\n", "<br>").replace("\n", "<br>").replace("\r", "<br>")


def render(run: RunResult) -> str:
    out = [
        "# Cambricon PyTorch Model Migration Report",
        "## Cambricon PyTorch Changes",
        "| No. | File | Description |",
        "| --- | --- | --- |",
    ]
    n = 0
    for f in run.files:
        seen = set()
        for c in f.changes:
            key = (c.cell, c.line, c.added, c.before, c.after)
            if key in seen:  # one row per changed line, even when several rules touched it
                continue
            seen.add(key)
            n += 1
            if c.added:
                desc = f'add "{c.after}"'
            else:
                desc = f'change "{c.before}" to "{c.after}"'
            out.append(f"| {n} | {_cell(location(f.path, c))} | {_cell(desc)} |")
    findings = [(f.path, x) for f in run.files for x in f.findings]
    out += ["", "## Needs Manual Attention"]
    if findings:
        out += ["| No. | ID | File | Message | Suggestion |", "| --- | --- | --- | --- | --- |"]
        for i, (path, x) in enumerate(findings, 1):
            out.append(f"| {i} | {x.id} | {_cell(location(path, x))} | {_cell(x.message)} | {_cell(x.suggestion)} |")
    else:
        out.append("Nothing: gpu2mlu found no code that needs a human.")
    out += ["", "## Skipped Files"]
    if run.skipped:
        out += ["| No. | File | Reason |", "| --- | --- | --- |"]
        for i, f in enumerate(run.skipped, 1):
            out.append(f"| {i} | {_cell(f.path)} | {_cell(f.reason)} |")
    else:
        out.append("None: every file was converted or copied.")
    s = run.summary
    files = s["files"]
    out += [
        "", "## Summary",
        f"- Input: `{run.input}`",
        f"- Output: `{run.output}`",
        f"- Target: torch_mlu for PyTorch {run.line}",
        f"- Files scanned: {files['scanned']} (converted {files['converted']}, unchanged "
        f"{files['unchanged']}, copied {files['copied']}, symlinks {files['linked']}, skipped {files['skipped']})",
        "- Files by kind: " + ", ".join(f"{kind} {n}" for kind, n in s["files_by_kind"].items()),
        f"- Changes: {s['changes']} on {s['changed_lines']} lines",
        f"- Findings needing manual attention: {s['findings']}",
        f"- Conversion rate: {_rate_line(s['conversion'])}",
    ]
    if s["changes_by_rule"]:
        out += ["", "| Rule | Changes |", "| --- | --- |"]
        out += [f"| {rule} | {count} |" for rule, count in s["changes_by_rule"].items()]
    if s["findings_by_id"]:
        specs = load_ruleset(run.line).findings
        out += ["", "| Finding | Name | Count |", "| --- | --- | --- |"]
        out += [f"| {fid} | {specs[fid].name if fid in specs else ''} | {count} |"
                for fid, count in s["findings_by_id"].items()]
    out += _conversion_by_file(run)
    return "\n".join(out) + "\n"


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def _rate_line(c: dict) -> str:
    if c["rate"] is None:
        return "no CUDA site found"
    return (f"{_percent(c['rate'])} ({c['automatic']} sites converted automatically, "
            f"{c['manual']} need a human)")


def _conversion_by_file(run: RunResult) -> list[str]:
    rows = []
    for f in run.files:
        c = conversion([f])
        if c["rate"] is not None:
            rows.append(f"| {_cell(f.path)} | {c['automatic']} | {c['manual']} | {_percent(c['rate'])} |")
    if not rows:
        return []
    return ["", "### Conversion Rate by File",
            "| File | Converted automatically | Needs a human | Rate |", "| --- | --- | --- | --- |", *rows]
