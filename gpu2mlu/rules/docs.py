"""Render docs/findings.md from findings.toml: `python -m gpu2mlu.rules.docs > docs/findings.md`."""
from __future__ import annotations

from gpu2mlu.rules import load_table

HEADER = """\
# Findings

What gpu2mlu reports as needing a human. Each finding has a stable ID (never reused), the input
`file:line` of the flagged token, a message and a suggestion. Generated from
`gpu2mlu/rules/data/findings.toml`; do not edit by hand.

- GM1xx: `torch.cuda` APIs that torch_mlu lacks (left unchanged).
- GM2xx: code that converts but may behave differently on MLU.
- GM3xx: CUDA-only code and packages (GM31x in dependency files, GM32x in C/C++/CUDA sources).
- GM4xx: environment variables.
- GM5xx: shell scripts, launch commands and Dockerfiles.
- GM6xx: Jupyter notebooks (cells that cannot be converted).
- GM7xx: settings of training frameworks (DeepSpeed, Accelerate, Lightning) that keep the
  framework's own spelling on MLU.

Severity: `error` fails on MLU as written; `warning` runs but may behave differently or needs a
decision; `info` has no effect on MLU. `--check --fail-on SEVERITY` uses it. Silence one finding on
one line with a `gpu2mlu: ignore[ID]` comment on that line.

`{name}` stands for the flagged API, package or variable.

| ID | Name | Severity | Message | Suggestion |
| --- | --- | --- | --- | --- |
"""


def render() -> str:
    rows = []
    for fid, raw in load_table("findings.toml").items():
        cells = [fid, raw["name"], raw["severity"], raw["message"], raw["suggestion"]]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(render(), end="")
