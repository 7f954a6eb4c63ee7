"""Migration runs: into a fresh output folder (the default), or as a preview that writes nothing
(--diff, --check). --in-place is a layer above this one (gpu2mlu/inplace/)."""
from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

from gpu2mlu import faults
from gpu2mlu.errors import MigrationError, WriteError, io_message
from gpu2mlu.output import Staging, check_input, check_output, is_staging, made_by_gpu2mlu
from gpu2mlu.report import RunResult, summarize
from gpu2mlu.report import json as json_report
from gpu2mlu.report import markdown as markdown_report
from gpu2mlu.report import patch as patch_report
from gpu2mlu.settings import Settings, build, find_pyproject, from_pyproject
from gpu2mlu.tree import convert_single_file, convert_tree

Progress = Optional[Callable[[int, int], None]]


def load_settings(src, cli: Optional[dict] = None, use_pyproject: bool = True) -> Settings:
    """Settings for a run on `src`: its pyproject.toml's [tool.gpu2mlu], overridden by `cli`."""
    if use_pyproject:
        check_input(Path(src))  # an unreadable input is named as such, not as its pyproject.toml
    pyproject = from_pyproject(find_pyproject(Path(src))) if use_pyproject else {}
    return build(pyproject, cli or {})


def default_output(src: Path) -> Path:
    src = src.resolve()
    if src.is_file():
        return src.with_name(src.stem + "_mlu")
    return src.with_name(src.name + "_mlu")


def check_paths(src: Path, out: Path, force: bool) -> None:
    check_input(src)
    check_output(src, out, force)
# Report files, and the names used when the project already has a report.md/report.json.
REPORT_FILES = ("report.md", "report.json", "report.html", "changes.patch")
_PREFIXED = tuple(f"gpu2mlu_{name}" for name in REPORT_FILES)


def _report_names(src: Path) -> tuple[tuple[str, ...], list[str]]:
    """Report file names, and old gpu2mlu reports in the input that the new ones replace.

    A project with its own report.md/report.json keeps them; ours are then gpu2mlu_report.*.
    Converting a gpu2mlu output again replaces its reports instead of copying them.
    """
    if not src.is_dir():
        return REPORT_FILES, []
    old = [str(src / n) for n in REPORT_FILES + _PREFIXED if (src / n).exists()] if made_by_gpu2mlu(src) else []
    taken = [n for n in REPORT_FILES if (src / n).exists() and str(src / n) not in old]
    return (_PREFIXED if taken else REPORT_FILES), old


def write_reports(run: RunResult, folder: Path, names: Sequence[str] = REPORT_FILES) -> None:
    """report.md, report.json, report.html and changes.patch into `folder`; an I/O failure is a
    WriteError that names the report."""
    from gpu2mlu.report import html as html_report
    renderers = (lambda: markdown_report.render(run).encode("utf-8"),
                 lambda: json_report.render(run).encode("utf-8"),
                 lambda: html_report.render(run).encode("utf-8"),
                 lambda: patch_report.render(run))
    paths = [folder / n for n in names]
    run.report_md, run.report_json, run.report_html, run.patch = map(str, paths)
    for path, render in zip(paths, renderers):
        try:
            with open(path, "wb") as f:
                f.write(render())
            faults.point("reports", str(path))
        except OSError as exc:
            raise WriteError(f"cannot write the report {io_message(exc, str(path))}") from None


def _settings(settings: Optional[Settings], line: Optional[str], jobs: Optional[int]) -> Settings:
    settings = settings or Settings()
    overrides = {k: v for k, v in (("target", line), ("jobs", jobs)) if v is not None}
    return build({}, {**dataclasses.asdict(settings), **overrides}) if overrides else settings


def migrate(src, out=None, *, settings: Optional[Settings] = None, force: bool = False,
            line: Optional[str] = None, jobs: Optional[int] = None, keep_text: bool = True,
            progress: Progress = None) -> RunResult:
    """Convert `src` (a folder or a file) into `out` (default: SRC_mlu beside it).

    `settings` default to gpu2mlu's defaults (the CLI passes load_settings(src, ...)). `keep_text`
    keeps the decoded before/after text of every changed file on its FileResult; the HTML report
    and changes.patch need it. The output appears whole at the end or not at all (gpu2mlu/output.py).
    """
    started = time.perf_counter()
    settings = _settings(settings, line, jobs)
    src = Path(src)
    out = Path(out) if out is not None else default_output(src)
    check_paths(src, out, force)
    out = Path(os.path.realpath(out))
    staging = Staging(out)
    try:
        names, old_reports = _report_names(src)
        if src.is_dir():
            files = convert_tree(src, staging.path, settings, exclude=(str(out), *old_reports),
                                 keep_text=keep_text, progress=progress,
                                 exclude_dir=lambda path: is_staging(path, out))
        else:
            files = convert_single_file(src, staging.path, settings, keep_text)
        run = RunResult(str(src.resolve()), str(out), settings.target, files, settings=settings)
        run.wall_seconds = time.perf_counter() - started
        run.summary = summarize(run)
        write_reports(run, staging.path, names)
        for attr in ("report_md", "report_json", "report_html", "patch"):
            setattr(run, attr, str(out / Path(getattr(run, attr)).name))
        staging.swap_in(src, force, src.stat().st_mode & 0o7777 if src.is_dir() else 0o755)
    except WriteError as exc:
        staging.discard()
        raise WriteError(str(exc).replace(str(staging.path), str(out))) from None
    except OSError as exc:
        staging.discard()
        raise WriteError(f"cannot write the output {out}: "
                         f"{io_message(exc).replace(str(staging.path), str(out))}") from None
    except BaseException:
        staging.discard()
        raise
    return run


def preview(paths: Sequence, settings: Optional[Settings] = None, *, progress: Progress = None,
            base: Optional[Path] = None) -> RunResult:
    """Convert in memory and write nothing (--diff, --check). Files named directly are converted by
    their kind (files of no known kind are passed over, as pre-commit passes every staged file);
    paths in the result are relative to `base` (default: the current folder)."""
    started = time.perf_counter()
    settings = settings or Settings()
    base = (base or Path.cwd()).resolve()
    files = []
    for path in map(Path, paths):
        check_input(path)
        if path.is_dir():
            found = convert_tree(path, None, settings, keep_text=True, progress=progress)
            prefix = _relative(path, base)
            for f in found:
                f.path = f"{prefix}/{f.path}" if prefix else f.path
            files += found
        else:
            files += convert_single_file(path, None, settings, keep_text=True, rel=_relative(path, base),
                                         any_kind_is_python=False)
    inputs = ", ".join(str(Path(p).resolve()) for p in paths)
    run = RunResult(inputs, "", settings.target, sorted(files, key=lambda f: f.path), settings=settings)
    run.wall_seconds = time.perf_counter() - started
    run.summary = summarize(run)
    return run


def _relative(path: Path, base: Path) -> str:
    resolved = path.resolve()
    try:
        rel = resolved.relative_to(base).as_posix()
    except ValueError:
        return resolved.as_posix() if path.is_file() else ""
    return "" if rel == "." else rel


__all__ = ["MigrationError", "RunResult", "Settings", "WriteError", "load_settings", "made_by_gpu2mlu",
           "migrate", "preview", "write_reports"]
