"""Migration runs: into a fresh output folder (the default), as a preview that writes nothing
(--diff, --check), or in place with a backup (--in-place, undone by --undo)."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

from gpu2mlu.report import RunResult, summarize
from gpu2mlu.report import json as json_report
from gpu2mlu.report import markdown as markdown_report
from gpu2mlu.report import patch as patch_report
from gpu2mlu.settings import Settings, build, find_pyproject, from_pyproject
from gpu2mlu.tree import convert_single_file, convert_tree

REPORT_MD = "report.md"
REPORT_JSON = "report.json"

Progress = Optional[Callable[[int, int], None]]


class MigrationError(Exception):
    """Bad input or a refused output folder: the run did not start."""


def load_settings(src, cli: Optional[dict] = None, use_pyproject: bool = True) -> Settings:
    """Settings for a run on `src`: its pyproject.toml's [tool.gpu2mlu], overridden by `cli`."""
    pyproject = from_pyproject(find_pyproject(Path(src))) if use_pyproject else {}
    return build(pyproject, cli or {})


def default_output(src: Path) -> Path:
    src = src.resolve()
    if src.is_file():
        return src.with_name(src.stem + "_mlu")
    return src.with_name(src.name + "_mlu")


def made_by_gpu2mlu(folder: Path) -> bool:
    for name in (REPORT_JSON, "gpu2mlu_report.json"):
        try:
            data = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("tool") == "gpu2mlu":
            return True
    return False


def _inside(path: Path, parent: Path) -> bool:
    try:
        path.relative_to(parent)
        return True
    except ValueError:
        return False


def check_input(src: Path) -> None:
    if not src.exists() and not src.is_symlink():
        raise MigrationError(f"input path does not exist: {src}")
    if not (src.is_dir() or src.is_file()):
        raise MigrationError(f"input is neither a folder nor a file: {src}")
    if not os.access(src, os.R_OK | (os.X_OK if src.is_dir() else 0)):
        raise MigrationError(f"input is not readable: {src}")


def check_paths(src: Path, out: Path, force: bool) -> None:
    check_input(src)
    real_src, real_out = src.resolve(), out.resolve()
    if real_out == real_src or _inside(real_src, real_out):
        raise MigrationError(f"output folder {out} would contain the input; choose another with -o")
    if out.exists() or out.is_symlink():
        if not out.is_dir() or out.is_symlink():
            raise MigrationError(f"output path exists and is not a folder: {out}")
        if not force and not made_by_gpu2mlu(out) and any(out.iterdir()):
            raise MigrationError(
                f"output folder {out} already exists and was not made by gpu2mlu; "
                "use --force to replace it, or -o to choose another folder")


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
    """report.md, report.json, report.html and changes.patch into `folder`."""
    md, js, html, patch = (folder / n for n in names)
    run.report_md, run.report_json = str(md), str(js)
    md.write_text(markdown_report.render(run), encoding="utf-8")
    js.write_text(json_report.render(run), encoding="utf-8")
    from gpu2mlu.report import html as html_report
    html.write_text(html_report.render(run), encoding="utf-8")
    run.report_html = str(html)
    patch.write_bytes(patch_report.render(run))
    run.patch = str(patch)


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
    and changes.patch need it.
    """
    started = time.perf_counter()
    settings = _settings(settings, line, jobs)
    src = Path(src)
    out = Path(out) if out is not None else default_output(src)
    check_paths(src, out, force)
    out_parent = out.resolve().parent
    out_parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.gpu2mlu-", dir=out_parent))
    try:
        names, old_reports = _report_names(src)
        if src.is_dir():
            files = convert_tree(src, staging, settings, exclude=(str(out), str(staging), *old_reports),
                                 keep_text=keep_text, progress=progress)
        else:
            files = convert_single_file(src, staging, settings, keep_text)
        run = RunResult(str(src.resolve()), str(out.resolve()), settings.target, files, settings=settings)
        run.wall_seconds = time.perf_counter() - started
        run.summary = summarize(run)
        write_reports(run, staging, names)
        for attr in ("report_md", "report_json", "report_html", "patch"):
            setattr(run, attr, str(out.resolve() / Path(getattr(run, attr)).name))
        os.chmod(staging, src.stat().st_mode & 0o7777 if src.is_dir() else 0o755)
        if out.exists():
            shutil.rmtree(out)
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
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


from gpu2mlu.inplace import UndoResult, convert_in_place, undo  # noqa: E402  (uses the helpers above)

__all__ = ["MigrationError", "RunResult", "Settings", "UndoResult", "convert_in_place", "load_settings",
           "migrate", "preview", "undo", "write_reports"]
