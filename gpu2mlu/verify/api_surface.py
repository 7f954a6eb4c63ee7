"""The torch_mlu API surface the emulator exposes, from the converter's tables.

One source of truth: `gpu2mlu.rules.load_ruleset(...).mlu_api` lists the
dotted names real torch_mlu provides.  The runner writes them to a JSON file
that the stand-in reads in every process of the run, together with the line's op-coverage
model (gpu2mlu.verify.kernels: the ops torch_mlu has MLU kernels for, and dtype limits).
"""

from __future__ import annotations

import json
from pathlib import Path

DEFAULT_LINE = "2.4"


def mlu_api(line: str = DEFAULT_LINE) -> frozenset[str]:
    from gpu2mlu.rules import load_ruleset

    try:
        ruleset = load_ruleset(target=line)
    except TypeError:  # the tables' first release named the parameter `line`
        ruleset = load_ruleset(line)
    return frozenset(ruleset.mlu_api)


def write(path: Path, line: str = DEFAULT_LINE) -> None:
    from . import kernels

    names = sorted(mlu_api(line))
    coverage = {"line": line, "kernels": kernels.covered(line), "dtypes": kernels.load_dtypes(line)}
    path.write_text(json.dumps({"line": line, "names": names, "coverage": coverage}),
                    encoding="utf-8")
