"""Convert a whole tree: walk the input, convert Python sources, copy everything else."""
from __future__ import annotations

import os
import shutil
import stat
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from gpu2mlu.python import ParseError, convert_python
from gpu2mlu.python.convert import ConversionError
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
    python: bool


def is_python_source(name: str, src: str) -> bool:
    if name.endswith(".py"):
        return True
    if "." in name:
        return False
    try:  # an extension-less script with a python shebang
        with open(src, "rb") as f:
            first = f.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


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
                                  is_python_source(name, src)))
    return dirs, tasks, links, settled


def _posix(rel: str) -> str:
    return rel.replace(os.sep, "/")


def _link(src: str, dst: str, rel: str) -> FileResult:
    try:
        os.symlink(os.readlink(src), dst)
    except OSError as exc:
        return FileResult(_posix(rel), SKIPPED, reason=f"cannot recreate symlink: {exc.strerror}")
    return FileResult(_posix(rel), LINKED)


def run_task(task: Task, line: str) -> FileResult:
    timing: dict[str, float] = {}
    if not task.python:
        t0 = time.perf_counter()
        try:
            shutil.copyfile(task.src, task.dst)
            os.chmod(task.dst, task.mode)
        except OSError as exc:
            return FileResult(task.rel, SKIPPED, reason=f"cannot copy: {exc.strerror}")
        timing["write"] = time.perf_counter() - t0
        return FileResult(task.rel, COPIED, timing=timing)
    t0 = time.perf_counter()
    try:
        with open(task.src, "rb") as f:
            data = f.read()
    except OSError as exc:
        return FileResult(task.rel, SKIPPED, reason=f"cannot read: {exc.strerror}")
    timing["read"] = time.perf_counter() - t0
    result = _convert_bytes(task, data, line, timing)
    t1 = time.perf_counter()
    try:
        with open(task.dst, "wb") as f:
            f.write(result[1])
        os.chmod(task.dst, task.mode)
    except OSError as exc:
        return FileResult(task.rel, SKIPPED, reason=f"cannot write output: {exc.strerror}")
    timing["write"] = timing.get("write", 0.0) + time.perf_counter() - t1
    file_result = result[0]
    file_result.timing = timing
    return file_result


def _convert_bytes(task: Task, data: bytes, line: str, timing: dict) -> tuple[FileResult, bytes]:
    try:
        source = decode(data)
    except DecodeError as exc:
        return FileResult(task.rel, SKIPPED, reason=f"cannot decode: {exc}"), data
    try:
        conversion = convert_python(source.text, load_ruleset(line), timing)
    except ParseError as exc:
        return FileResult(task.rel, SKIPPED, reason=f"not valid Python 3 ({exc}); copied unchanged"), data
    except ConversionError as exc:
        return FileResult(task.rel, SKIPPED, reason=f"gpu2mlu could not convert it safely ({exc}); copied unchanged"), data
    status = CONVERTED if conversion.changed else UNCHANGED
    result = FileResult(task.rel, status, list(conversion.changes), list(conversion.findings))
    if not conversion.changed:
        return result, data
    try:
        return result, source.encode(conversion.text)
    except UnicodeEncodeError as exc:  # cannot happen with ASCII replacements; kept safe anyway
        return FileResult(task.rel, SKIPPED, reason=f"cannot encode result: {exc}"), data


def _run_chunk(tasks: list[Task], line: str) -> list[FileResult]:
    return [run_task(t, line) for t in tasks]


def _chunks(tasks: list[Task], n: int) -> list[list[Task]]:
    """Split into n chunks of similar work, big files first (greedy by bytes)."""
    chunks: list[list[Task]] = [[] for _ in range(n)]
    loads = [0] * n
    for task in sorted(tasks, key=lambda t: t.size * (4 if t.python else 1), reverse=True):
        i = loads.index(min(loads))
        chunks[i].append(task)
        loads[i] += task.size * (4 if task.python else 1) + 4096
    return [c for c in chunks if c]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def convert_files(tasks: list[Task], line: str, jobs: Optional[int]) -> list[FileResult]:
    jobs = default_jobs() if not jobs else jobs
    work = sum(t.size for t in tasks if t.python)
    if jobs <= 1 or (len(tasks) < _PARALLEL_MIN_FILES and work < _PARALLEL_MIN_BYTES):
        return _run_chunk(tasks, line)
    load_ruleset(line)  # load the tables once, before the workers fork
    import multiprocessing
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        context = None
    chunks = _chunks(tasks, jobs * 4)
    results: list[FileResult] = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        for part in pool.map(_run_chunk, chunks, [line] * len(chunks)):
            results.extend(part)
    return results


def convert_tree(root: Path, out_root: Path, line: str, jobs: Optional[int] = None,
                 exclude: tuple[str, ...] = ()) -> list[FileResult]:
    """Write the converted tree to `out_root` (which must exist and be empty)."""
    excluded = {os.path.realpath(p) for p in exclude}
    dirs, tasks, links, settled = walk(root, out_root, excluded)
    for rel in dirs:
        os.makedirs(os.path.join(out_root, rel), exist_ok=True)
    settled += [_link(src, dst, rel) for src, dst, rel in links]
    results = settled + convert_files(tasks, line, jobs)
    for rel in reversed(dirs):  # directory modes last, in case one is read-only
        try:
            os.chmod(os.path.join(out_root, rel), stat.S_IMODE(os.stat(os.path.join(root, rel)).st_mode))
        except OSError:
            pass
    results.sort(key=lambda r: r.path)
    return results


def convert_single_file(src: Path, out_root: Path, line: str) -> list[FileResult]:
    st = src.stat()
    task = Task(str(src), str(out_root / src.name), src.name, stat.S_IMODE(st.st_mode), st.st_size, True)
    return [run_task(task, line)]
