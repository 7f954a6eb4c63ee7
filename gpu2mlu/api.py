"""The Python API for tools that embed gpu2mlu. Nothing here prints or exits.

    import gpu2mlu
    result = gpu2mlu.convert_text("import torch\\nx = x.cuda()\\n")
    result.text       # 'import torch\\nimport torch_mlu\\nx = x.mlu()\\n'
    result.changes    # (Change(line=1, rule='import-torch-mlu', ...), Change(line=2, ...))
    gpu2mlu.convert_file("train.py").findings
    run = gpu2mlu.convert_tree("project")              # in memory; nothing is written
    run = gpu2mlu.convert_tree("project", "project_mlu")  # writes the tree and the reports
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

from gpu2mlu.ignore import kept_findings
from gpu2mlu.kinds import OTHER, PYTHON, Unconvertible, converter, kind_of
from gpu2mlu.report import RunResult
from gpu2mlu.results import Conversion, FileResult
from gpu2mlu.settings import Settings, build


def _settings(settings: Optional[Settings], target: Optional[str]) -> Settings:
    settings = settings or Settings()
    return dataclasses.replace(settings, target=target) if target else settings


def convert_text(text: str, kind: Optional[str] = None, *, path: str = "", target: Optional[str] = None,
                 settings: Optional[Settings] = None) -> Conversion:
    """Convert one file's text. `kind` is one of gpu2mlu.kinds.KINDS ("python", "shell", "config",
    ...); by default it follows `path` (e.g. "configs/train.yaml"), else "python". Raises
    Unconvertible when the text cannot be converted safely (a syntax error, say)."""
    settings = _settings(settings, target)
    rel = path or "snippet.py"
    kind = kind or (kind_of(rel) if path else PYTHON)
    if kind == OTHER:
        return Conversion(text)
    conversion = converter(kind)(text, settings.ruleset(), rel)
    kept = kept_findings(text, conversion.findings, settings.disable)
    return dataclasses.replace(conversion, findings=tuple(kept))


def convert_file(path, *, target: Optional[str] = None, settings: Optional[Settings] = None) -> FileResult:
    """Convert one file in memory (its bytes, encoding and line endings respected); nothing is
    written. The result's `before`/`after` hold the text when something changed."""
    from gpu2mlu.tree import convert_single_file
    path = Path(path)
    return convert_single_file(path, None, _settings(settings, target), keep_text=True)[0]


def convert_tree(src, out=None, *, target: Optional[str] = None, settings: Optional[Settings] = None,
                 force: bool = False) -> RunResult:
    """Convert a folder: in memory when `out` is None, else into `out` with the reports, like the
    command line. Settings default to the project's [tool.gpu2mlu] table."""
    from gpu2mlu.engine import load_settings, migrate, preview
    settings = settings or load_settings(src)
    settings = _settings(settings, target)
    if out is None:
        return preview([src], settings, base=Path(src))
    return migrate(src, out, settings=settings, force=force)


__all__ = ["Settings", "Unconvertible", "build", "convert_file", "convert_text", "convert_tree"]
