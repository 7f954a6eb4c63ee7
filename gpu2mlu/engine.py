"""A migration run: check the paths, convert into a fresh folder, write the reports, swap it in."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Optional

from gpu2mlu.report import RunResult, summarize
from gpu2mlu.report import json as json_report
from gpu2mlu.report import markdown as markdown_report
from gpu2mlu.rules import DEFAULT_LINE
from gpu2mlu.tree import convert_single_file, convert_tree

REPORT_MD = "report.md"
REPORT_JSON = "report.json"


class MigrationError(Exception):
    """Bad input or a refused output folder: the run did not start."""


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


def check_paths(src: Path, out: Path, force: bool) -> None:
    if not src.exists() and not src.is_symlink():
        raise MigrationError(f"input path does not exist: {src}")
    if not (src.is_dir() or src.is_file()):
        raise MigrationError(f"input is neither a folder nor a file: {src}")
    if not os.access(src, os.R_OK | (os.X_OK if src.is_dir() else 0)):
        raise MigrationError(f"input is not readable: {src}")
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


_REPORT_NAMES = ((REPORT_MD, REPORT_JSON), ("gpu2mlu_report.md", "gpu2mlu_report.json"))


def _report_names(src: Path) -> tuple[tuple[str, str], list[str]]:
    """Report file names, and old gpu2mlu reports in the input that the new ones replace.

    A project with its own report.md/report.json keeps them; ours are then gpu2mlu_report.*.
    Converting a gpu2mlu output again replaces its reports instead of copying them.
    """
    if not src.is_dir():
        return _REPORT_NAMES[0], []
    old = [str(src / n) for pair in _REPORT_NAMES for n in pair if (src / n).exists()] if made_by_gpu2mlu(src) else []
    taken = [n for n in _REPORT_NAMES[0] if (src / n).exists() and str(src / n) not in old]
    return (_REPORT_NAMES[1] if taken else _REPORT_NAMES[0]), old


def migrate(src, out=None, *, line: str = DEFAULT_LINE, force: bool = False,
            jobs: Optional[int] = None, keep_text: bool = True) -> RunResult:
    """Convert `src` (a folder or a file) into `out` (default: SRC_mlu beside it).

    `keep_text`: keep the decoded before/after text of every changed file on its FileResult
    (for diffs, the patch and the HTML report).
    """
    started = time.perf_counter()
    src = Path(src)
    out = Path(out) if out is not None else default_output(src)
    check_paths(src, out, force)
    out_parent = out.resolve().parent
    out_parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.gpu2mlu-", dir=out_parent))
    try:
        (md_name, json_name), old_reports = _report_names(src)
        if src.is_dir():
            files = convert_tree(src, staging, line, jobs, exclude=(str(out), str(staging), *old_reports),
                                 keep_text=keep_text)
        else:
            files = convert_single_file(src, staging, line, keep_text)
        run = RunResult(str(src.resolve()), str(out.resolve()), line, files,
                        report_md=str(out.resolve() / md_name), report_json=str(out.resolve() / json_name))
        run.wall_seconds = time.perf_counter() - started
        run.summary = summarize(run)
        (staging / md_name).write_text(markdown_report.render(run), encoding="utf-8")
        (staging / json_name).write_text(json_report.render(run), encoding="utf-8")
        os.chmod(staging, src.stat().st_mode & 0o7777 if src.is_dir() else 0o755)
        if out.exists():
            shutil.rmtree(out)
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return run
