"""Convert a whole tree: walk the input, convert each file by its kind, copy everything else."""
from __future__ import annotations

import os
import shutil
import stat
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from gpu2mlu.changes import EditConflict
from gpu2mlu.kinds import OTHER, PYTHON, TRIGGERS, Unconvertible, converter, kind_of
from gpu2mlu.results import CONVERTED, COPIED, LINKED, SKIPPED, UNCHANGED, FileResult
from gpu2mlu.rules import load_ruleset
from gpu2mlu.source import DecodeError, decode

SKIP_DIRS = frozenset({".git", ".hg", ".svn"})
# Below these sizes a second process costs more than it saves.
_PARALLEL_MIN_FILES = 400
_PARALLEL_MIN_BYTES = 4 << 20


@dataclass(frozen=True)
class Task:
    src: str
    dst: str
    rel: str
    mode: int
    size: int
    kind: str

    @property
    def converted(self) -> bool:
        return self.kind != OTHER


def file_kind(rel: str, src: str) -> str:
    def first_line() -> bytes:  # only read for files without an extension
        try:
            with open(src, "rb") as f:
                return f.readline(200)
        except OSError:
            return b""
    return kind_of(rel, first_line)


def walk(root: Path, out_root: Path, exclude: set[str]):
    """Directories to create, file tasks, symlinks to recreate, and entries skipped on the way."""
    dirs: list[str] = []
    tasks: list[Task] = []
    links: list[tuple[str, str, str]] = []
    settled: list[FileResult] = []
    for current, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(current, root)
        rel_dir = "" if rel_dir == "." else rel_dir
        keep = []
        for name in sorted(dirnames):
            src = os.path.join(current, name)
            rel = os.path.join(rel_dir, name)
            if name in SKIP_DIRS or os.path.realpath(src) in exclude:
                continue
            if os.path.islink(src):
                links.append((src, os.path.join(out_root, rel), rel))
                continue
            keep.append(name)
            dirs.append(rel)
        dirnames[:] = keep
        for name in sorted(filenames):
            src = os.path.join(current, name)
            rel = os.path.join(rel_dir, name)
            dst = os.path.join(out_root, rel)
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
                tasks.append(Task(src, dst, _posix(rel), stat.S_IMODE(st.st_mode), st.st_size,
                                  file_kind(_posix(rel), src)))
    return dirs, tasks, links, settled


def _posix(rel: str) -> str:
    return rel.replace(os.sep, "/")


def _link(src: str, dst: str, rel: str) -> FileResult:
    try:
        os.symlink(os.readlink(src), dst)
    except OSError as exc:
        return FileResult(_posix(rel), SKIPPED, reason=f"cannot recreate symlink: {exc.strerror}")
    return FileResult(_posix(rel), LINKED)


def run_task(task: Task, line: str, keep_text: bool = False) -> FileResult:
    timing: dict[str, float] = {}
    if not task.converted:
        t0 = time.perf_counter()
        try:
            shutil.copyfile(task.src, task.dst)
            os.chmod(task.dst, task.mode)
        except OSError as exc:
            return FileResult(task.rel, SKIPPED, reason=f"cannot copy: {exc.strerror}", kind=task.kind)
        timing["write"] = time.perf_counter() - t0
        return FileResult(task.rel, COPIED, timing=timing, kind=task.kind)
    t0 = time.perf_counter()
    try:
        with open(task.src, "rb") as f:
            data = f.read()
    except OSError as exc:
        return FileResult(task.rel, SKIPPED, reason=f"cannot read: {exc.strerror}", kind=task.kind)
    timing["read"] = time.perf_counter() - t0
    file_result, out = convert_bytes(task.rel, task.kind, data, line, timing, keep_text)
    t1 = time.perf_counter()
    try:
        with open(task.dst, "wb") as f:
            f.write(out)
        os.chmod(task.dst, task.mode)
    except OSError as exc:
        return FileResult(task.rel, SKIPPED, reason=f"cannot write output: {exc.strerror}", kind=task.kind)
    timing["write"] = timing.get("write", 0.0) + time.perf_counter() - t1
    file_result.timing = timing
    return file_result


def convert_bytes(rel: str, kind: str, data: bytes, line: str, timing: dict,
                  keep_text: bool = False) -> tuple[FileResult, bytes]:
    """Convert one file's bytes by its kind: (result, bytes to write)."""
    gate = TRIGGERS.get(kind)
    if gate is not None and not gate.search(data):
        return FileResult(rel, UNCHANGED, kind=kind), data
    try:
        source = decode(data)
    except DecodeError as exc:
        return FileResult(rel, SKIPPED, reason=f"cannot decode: {exc}; copied unchanged", kind=kind), data
    convert = converter(kind)
    try:
        if kind == PYTHON:
            conversion = convert(source.text, load_ruleset(line), rel, timing)
        else:
            t0 = time.perf_counter()
            conversion = convert(source.text, load_ruleset(line), rel)
            timing["edit"] = timing.get("edit", 0.0) + time.perf_counter() - t0
    except Unconvertible as exc:
        return FileResult(rel, SKIPPED, reason=str(exc), kind=kind), data
    except EditConflict as exc:
        return FileResult(rel, SKIPPED, kind=kind,
                          reason=f"gpu2mlu could not convert it safely (conflicting edits: {exc}); copied unchanged"), data
    status = CONVERTED if conversion.changed else UNCHANGED
    result = FileResult(rel, status, list(conversion.changes), list(conversion.findings), kind=kind)
    if not conversion.changed:
        return result, data
    try:
        out = source.encode(conversion.text)
    except UnicodeEncodeError as exc:  # cannot happen with ASCII replacements; kept safe anyway
        return FileResult(rel, SKIPPED, reason=f"cannot encode result: {exc}", kind=kind), data
    if keep_text:
        result.before, result.after = source.text, conversion.text
    return result, out


def _run_chunk(tasks: list[Task], line: str, keep_text: bool = False) -> list[FileResult]:
    return [run_task(t, line, keep_text) for t in tasks]


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


def convert_files(tasks: list[Task], line: str, jobs: Optional[int], keep_text: bool = False) -> list[FileResult]:
    jobs = default_jobs() if not jobs else jobs
    work = sum(t.size for t in tasks if t.converted)
    if jobs <= 1 or (len(tasks) < _PARALLEL_MIN_FILES and work < _PARALLEL_MIN_BYTES):
        return _run_chunk(tasks, line, keep_text)
    load_ruleset(line)  # load the tables once, before the workers fork
    import multiprocessing
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        context = None
    chunks = _chunks(tasks, jobs * 4)
    results: list[FileResult] = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        for part in pool.map(_run_chunk, chunks, [line] * len(chunks), [keep_text] * len(chunks)):
            results.extend(part)
    return results


def convert_tree(root: Path, out_root: Path, line: str, jobs: Optional[int] = None,
                 exclude: tuple[str, ...] = (), keep_text: bool = False) -> list[FileResult]:
    """Write the converted tree to `out_root` (which must exist and be empty)."""
    excluded = {os.path.realpath(p) for p in exclude}
    dirs, tasks, links, settled = walk(root, out_root, excluded)
    for rel in dirs:
        os.makedirs(os.path.join(out_root, rel), exist_ok=True)
    settled += [_link(src, dst, rel) for src, dst, rel in links]
    results = settled + convert_files(tasks, line, jobs, keep_text)
    for rel in reversed(dirs):  # directory modes last, in case one is read-only
        try:
            os.chmod(os.path.join(out_root, rel), stat.S_IMODE(os.stat(os.path.join(root, rel)).st_mode))
        except OSError:
            pass
    results.sort(key=lambda r: r.path)
    return results


def convert_single_file(src: Path, out_root: Path, line: str, keep_text: bool = False) -> list[FileResult]:
    st = src.stat()
    kind = file_kind(src.name, str(src))
    task = Task(str(src), str(out_root / src.name), src.name, stat.S_IMODE(st.st_mode), st.st_size,
                PYTHON if kind == OTHER else kind)  # a file named on the command line is converted
    return [run_task(task, line, keep_text)]
