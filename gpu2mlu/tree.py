"""Convert a whole tree: walk the input, convert each file by its kind, copy everything else."""
from __future__ import annotations

import os
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from gpu2mlu import faults
from gpu2mlu.changes import EditConflict
from gpu2mlu.errors import WriteError, io_message
from gpu2mlu.kinds import OTHER, PYTHON, TRIGGERS, Unconvertible, converter, kind_of
from gpu2mlu.ignore import kept_findings
from gpu2mlu.options import with_project_options
from gpu2mlu.results import CONVERTED, COPIED, EXCLUDED, FOLDER, LINKED, SKIPPED, UNCHANGED, FileResult
from gpu2mlu.settings import Settings
from gpu2mlu.source import DecodeError, decode
from gpu2mlu.workers import run_in_workers

# CUDA sources are reported even when they hold none of the native gate's words.
ALWAYS_READ = (".cu", ".cuh")
# Version control data, and gpu2mlu's own backups from --in-place runs.
SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".gpu2mlu"})
# Below these sizes a second process costs more than it saves.
_PARALLEL_MIN_FILES = 400
_PARALLEL_MIN_BYTES = 4 << 20


@dataclass(frozen=True)
class Task:
    src: str
    dst: Optional[str]  # None: a dry run (--diff, --check) that writes nothing
    rel: str
    mode: int
    size: int
    kind: str
    selected: bool = True  # False: include/exclude settings leave the file unconverted

    @property
    def converted(self) -> bool:
        return self.kind != OTHER and self.selected


def file_kind(rel: str, src: str) -> str:
    def first_line() -> bytes:  # only read for files without an extension
        try:
            with open(src, "rb") as f:
                return f.readline(200)
        except OSError:
            return b""
    return kind_of(rel, first_line)


def walk(root: Path, out_root: Optional[Path], exclude: set[str], settings: Settings = Settings(),
         exclude_dir: Optional[Callable[[str], bool]] = None):
    """Directories to create, file tasks, symlinks to recreate, and entries skipped on the way
    (a folder that cannot be listed is created empty and reported, never dropped silently).
    `exclude` holds real paths to pass over; `exclude_dir(real path)` says the same of folders."""
    dirs: list[str] = []
    tasks: list[Task] = []
    links: list[tuple[str, str, str]] = []
    settled: list[FileResult] = []
    unlisted: list[OSError] = []
    for current, dirnames, filenames in os.walk(root, onerror=unlisted.append):
        faults.point("walk", current)
        rel_dir = os.path.relpath(current, root)
        rel_dir = "" if rel_dir == "." else rel_dir
        keep = []
        for name in sorted(dirnames):
            src = os.path.join(current, name)
            rel = os.path.join(rel_dir, name)
            if name in SKIP_DIRS:
                continue
            if exclude or exclude_dir:
                real = os.path.realpath(src)
                if real in exclude or (exclude_dir is not None and exclude_dir(real)):
                    continue
            if os.path.islink(src):
                links.append((src, os.path.join(out_root, rel) if out_root is not None else None, rel))
                continue
            keep.append(name)
            dirs.append(rel)
        dirnames[:] = keep
        for name in sorted(filenames):
            src = os.path.join(current, name)
            rel = os.path.join(rel_dir, name)
            dst = os.path.join(out_root, rel) if out_root is not None else None
            if exclude and os.path.realpath(src) in exclude:
                continue
            try:
                st = os.lstat(src)
            except OSError as exc:
                settled.append(FileResult(_posix(rel), SKIPPED, reason=f"cannot stat: {exc.strerror}"))
                continue
            if stat.S_ISLNK(st.st_mode):
                links.append((src, dst, rel))
            elif not stat.S_ISREG(st.st_mode):
                settled.append(FileResult(_posix(rel), SKIPPED, reason="not a regular file (device, socket or pipe)"))
            else:
                posix = _posix(rel)
                tasks.append(Task(src, dst, posix, stat.S_IMODE(st.st_mode), st.st_size,
                                  file_kind(posix, src), settings.selects(posix)))
    for exc in unlisted:
        rel = os.path.relpath(exc.filename or str(root), root)
        settled.append(FileResult(_posix(rel) + "/", SKIPPED, kind=FOLDER,
                                  reason=f"cannot list folder: {exc.strerror}; its contents are not in the output"))
    return dirs, tasks, links, settled


def _posix(rel: str) -> str:
    return rel.replace(os.sep, "/")


def _link(src: str, dst: str, rel: str) -> FileResult:
    try:
        os.symlink(os.readlink(src), dst)
    except OSError as exc:
        return FileResult(_posix(rel), SKIPPED, reason=f"cannot recreate symlink: {exc.strerror}")
    return FileResult(_posix(rel), LINKED)


def _unreadable(task: Task, exc: OSError) -> FileResult:
    return FileResult(task.rel, SKIPPED, kind=task.kind,
                      reason=f"cannot read: {exc.strerror}; not in the output")


def _read_error(path: str) -> Optional[OSError]:
    try:
        with open(path, "rb") as f:
            while f.read(1 << 20):
                pass
    except OSError as exc:
        return exc
    return None


def _write_failed(path: str, exc: OSError) -> WriteError:
    """A failure to write the output (disk full, permission) stops the run: an output with a file
    missing is not an output."""
    return WriteError(f"cannot write {io_message(exc, path)}")


def _copy(task: Task) -> Optional[FileResult]:
    """Copy a file that is not converted; a result only when the input could not be read."""
    try:
        shutil.copyfile(task.src, task.dst)
        os.chmod(task.dst, task.mode)
    except OSError as exc:
        unreadable = _read_error(task.src)  # copyfile does not say which side failed
        if unreadable is None:
            raise _write_failed(task.dst, exc) from None
        try:
            os.unlink(task.dst)
        except OSError:
            pass
        return _unreadable(task, unreadable)
    faults.point("write", task.dst)
    return None


def _write(task: Task, data: bytes) -> None:
    try:
        with open(task.dst, "wb") as f:
            f.write(data)
        os.chmod(task.dst, task.mode)
        faults.point("write", task.dst)
    except OSError as exc:
        raise _write_failed(task.dst, exc) from None


def run_task(task: Task, settings: Settings, keep_text: bool = False) -> FileResult:
    timing: dict[str, float] = {}
    if not task.converted:
        status = COPIED if task.kind == OTHER else EXCLUDED
        if task.dst is None:
            return FileResult(task.rel, status, kind=task.kind)
        t0 = time.perf_counter()
        failed = _copy(task)
        if failed is not None:
            return failed
        timing["write"] = time.perf_counter() - t0
        return FileResult(task.rel, status, timing=timing, kind=task.kind)
    t0 = time.perf_counter()
    try:
        with open(task.src, "rb") as f:
            data = f.read()
    except OSError as exc:
        return _unreadable(task, exc)
    timing["read"] = time.perf_counter() - t0
    faults.point("convert", task.src)
    file_result, out = convert_bytes(task.rel, task.kind, data, settings, timing, keep_text)
    file_result.timing = timing
    if task.dst is None:
        return file_result
    t1 = time.perf_counter()
    _write(task, out)
    timing["write"] = timing.get("write", 0.0) + time.perf_counter() - t1
    return file_result


def convert_bytes(rel: str, kind: str, data: bytes, settings: Settings, timing: dict,
                  keep_text: bool = False) -> tuple[FileResult, bytes]:
    """Convert one file's bytes by its kind: (result, bytes to write)."""
    gate = TRIGGERS.get(kind)
    if gate is not None and not gate.search(data) and not rel.endswith(ALWAYS_READ):
        return FileResult(rel, UNCHANGED, kind=kind), data
    try:
        source = decode(data)
    except DecodeError as exc:
        return FileResult(rel, SKIPPED, reason=f"cannot decode: {exc}; copied unchanged", kind=kind), data
    convert = converter(kind)
    rules = settings.ruleset()
    try:
        if kind == PYTHON:
            conversion = convert(source.text, rules, rel, timing)
        else:
            t0 = time.perf_counter()
            conversion = convert(source.text, rules, rel)
            timing["edit"] = timing.get("edit", 0.0) + time.perf_counter() - t0
    except Unconvertible as exc:
        return FileResult(rel, SKIPPED, reason=str(exc), kind=kind), data
    except EditConflict as exc:
        return FileResult(rel, SKIPPED, kind=kind,
                          reason=f"gpu2mlu could not convert it safely (conflicting edits: {exc}); copied unchanged"), data
    findings = kept_findings(source.text, conversion.findings, settings.disable)
    status = CONVERTED if conversion.changed else UNCHANGED
    result = FileResult(rel, status, list(conversion.changes), findings, kind=kind, encoding=source.codec)
    if not conversion.changed:
        return result, data
    try:
        out = source.encode(conversion.text)
    except UnicodeEncodeError as exc:  # cannot happen with ASCII replacements; kept safe anyway
        return FileResult(rel, SKIPPED, reason=f"cannot encode result: {exc}", kind=kind), data
    if keep_text:
        result.before, result.after = source.text, conversion.text
    return result, out


def _run_chunk(tasks: list[Task], settings: Settings, keep_text: bool = False) -> list[FileResult]:
    return [run_task(t, settings, keep_text) for t in tasks]


def _run_job(job: tuple) -> list[FileResult]:
    return _run_chunk(*job)


def _chunks(tasks: list[Task], n: int) -> list[list[Task]]:
    """Split into n chunks of similar work, big files first (greedy by bytes)."""
    chunks: list[list[Task]] = [[] for _ in range(n)]
    loads = [0] * n
    for task in sorted(tasks, key=lambda t: t.size * (4 if t.converted else 1), reverse=True):
        i = loads.index(min(loads))
        chunks[i].append(task)
        loads[i] += task.size * (4 if task.converted else 1) + 4096
    return [c for c in chunks if c]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def convert_files(tasks: list[Task], settings: Settings, keep_text: bool = False,
                  progress=None) -> list[FileResult]:
    """Run the tasks, in worker processes for large trees; `progress(done, total)` after each batch."""
    jobs = settings.jobs or default_jobs()
    work = sum(t.size for t in tasks if t.converted)
    settings.ruleset()  # load the tables once, before any worker forks
    if jobs <= 1 or (len(tasks) < _PARALLEL_MIN_FILES and work < _PARALLEL_MIN_BYTES):
        if progress is None:
            return _run_chunk(tasks, settings, keep_text)
        results = []
        for i, task in enumerate(tasks, 1):
            results.append(run_task(task, settings, keep_text))
            if i % 50 == 0 or i == len(tasks):
                progress(i, len(tasks))
        return results
    chunks = _chunks(tasks, jobs * (16 if progress else 4))
    results: list[FileResult] = []
    for done in run_in_workers(_run_job, [(chunk, settings, keep_text) for chunk in chunks], jobs):
        results.extend(done)
        if progress is not None:
            progress(len(results), len(tasks))
    return results


def convert_tree(root: Path, out_root: Optional[Path], settings: Settings = Settings(),
                 exclude: tuple[str, ...] = (), keep_text: bool = False, progress=None,
                 exclude_dir: Optional[Callable[[str], bool]] = None) -> list[FileResult]:
    """Write the converted tree to `out_root` (which must exist and be empty); None: write nothing."""
    excluded = {os.path.realpath(p) for p in exclude}
    dirs, tasks, links, settled = walk(root, out_root, excluded, settings, exclude_dir)
    settings = with_project_options(settings, tasks)  # facts every file's conversion must share
    if out_root is None:
        settled += [FileResult(_posix(rel), LINKED) for _, _, rel in links]
        results = settled + convert_files(tasks, settings, keep_text, progress)
        results.sort(key=lambda r: r.path)
        return results
    for rel in dirs:
        os.makedirs(os.path.join(out_root, rel), exist_ok=True)
    settled += [_link(src, dst, rel) for src, dst, rel in links]
    results = settled + convert_files(tasks, settings, keep_text, progress)
    for rel in reversed(dirs):  # directory modes last, in case one is read-only
        try:
            os.chmod(os.path.join(out_root, rel), stat.S_IMODE(os.stat(os.path.join(root, rel)).st_mode))
        except OSError:
            pass
    results.sort(key=lambda r: r.path)
    return results


def convert_single_file(src: Path, out_root: Optional[Path], settings: Settings = Settings(),
                        keep_text: bool = False, rel: Optional[str] = None,
                        any_kind_is_python: bool = True) -> list[FileResult]:
    """One file named on the command line (converted as Python when its kind is unknown)."""
    st = src.stat()
    rel = rel or src.name
    kind = file_kind(rel, str(src))
    if kind == OTHER and any_kind_is_python:
        kind = PYTHON
    dst = str(out_root / src.name) if out_root is not None else None
    task = Task(str(src), dst, rel, stat.S_IMODE(st.st_mode), st.st_size, kind, settings.selects(rel))
    return [run_task(task, settings, keep_text)]
