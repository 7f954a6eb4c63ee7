"""Read the JSON-lines event log of a verify run and condense it to a summary.

Writers are the stand-in's processes (torch_mlu/_events.py, _gpu2mlu_process.py); record kinds:
"process" (one per process at exit: devices, peak bytes, MLU APIs used, CPU-fallback calls),
"process-start" / "process-exit" (every interpreter and fork), and one per problem:
"residual-cuda", "unsupported-api", "not-emulated", "cpu-fallback", "dtype",
"uncaught-exception", "data-parallel", "gloo-with-mlu", "double-migration" (`gpu2mlu run`: the
program imported torch_mlu's own gpu_migration too: _gpu2mlu_migration/cambricon.py); "saved" for
every torch.save (its path, or None for a file object without one: torch_mlu/_saves.py);
"backend" (torch_mlu's version, once per process that imports it: sitecustomize).  A fatal
signal leaves a file named after the pid in the faults folder (faulthandler's report); a process
that started, is gone and never exited normally was killed.
"""

from __future__ import annotations

import collections
import dataclasses
import importlib.util
import json
import os
import re
import signal
import sysconfig
import time
from pathlib import Path

PROBLEM_KINDS = ("residual-cuda", "unsupported-api", "not-emulated", "cpu-fallback", "dtype",
                 "uncaught-exception", "data-parallel", "gloo-with-mlu", "double-migration")
# One entry per op or dtype however many places use it: the first call site is shown.
_ONCE_PER_API = ("cpu-fallback", "dtype")

# faulthandler's names of the fatal signals it catches.
_FAULTS = {"Segmentation fault": "SIGSEGV", "Aborted": "SIGABRT", "Bus error": "SIGBUS",
           "Floating point exception": "SIGFPE", "Illegal instruction": "SIGILL"}


@dataclasses.dataclass
class Problem:
    kind: str
    api: str
    where: str
    count: int = 1
    detail: str = ""


@dataclasses.dataclass
class Summary:
    processes: int = 0
    apis: dict[str, int] = dataclasses.field(default_factory=dict)
    peak_bytes: dict[int, int] = dataclasses.field(default_factory=dict)
    problems: list[Problem] = dataclasses.field(default_factory=list)
    saved: list[str | None] = dataclasses.field(default_factory=list)  # torch.save paths, in order
    started: int = 0  # processes that started (also those the emulator never saw)
    torch_mlu_version: str | None = None  # of the first process that imported torch_mlu
    records: list[dict] = dataclasses.field(default_factory=list)  # the log as read (run's calls)

    @property
    def devices(self) -> list[int]:
        return sorted(self.peak_bytes)


def faults_dir(log: Path) -> Path:
    """Where the processes of a run logging to `log` leave their fatal-signal reports."""
    return Path(f"{log}.faults")


def read(path: Path, faults: Path | None = None, grace: float = 2.0) -> Summary:
    """Condense the log (and the faults folder, default faults_dir(path)) into a summary.

    Processes that started but never exited are waited for up to `grace` seconds: one still
    running then (a daemon) is not reported; one that is gone was killed.
    """
    summary = Summary()
    apis: collections.Counter = collections.Counter()
    fallback_calls: collections.Counter = collections.Counter()
    problems: dict[tuple, Problem] = {}
    started: dict[int, list] = {}
    exited: set[int] = set()
    records = _settle(path, faults if faults is not None else faults_dir(path), grace)

    def add(key, problem: Problem) -> None:
        if key in problems:
            problems[key].count += 1
        else:
            problems[key] = problem

    for rec in records:
        kind = rec.get("kind")
        if kind == "process":
            summary.processes += 1
            apis.update(rec.get("apis", {}))
            fallback_calls.update(rec.get("fallback_calls", {}))
            for dev, stats in rec.get("devices", {}).items():
                d = int(dev)
                summary.peak_bytes[d] = max(summary.peak_bytes.get(d, 0), stats["peak_bytes"])
        elif kind == "process-start":
            started[rec["pid"]] = rec.get("argv") or []
        elif kind == "backend":
            summary.torch_mlu_version = summary.torch_mlu_version or rec.get("version")
        elif kind == "process-exit":
            exited.add(rec["pid"])
        elif kind == "saved":
            summary.saved.append(rec.get("path"))
        elif kind in _ONCE_PER_API:
            add((kind, rec.get("api", "?")),
                Problem(kind, rec.get("api", "?"), rec.get("where", "?"),
                        detail=rec.get("message", "")))
        elif kind == "uncaught-exception":
            message = _first_line(rec.get("message", ""))
            api = f"{rec.get('api', '?')}: {message}" if message else rec.get("api", "?")
            pid = rec.get("pid")
            add((kind, api, rec.get("where", "?"), pid),
                Problem(kind, api, rec.get("where", "?"),
                        detail=f"process {pid} ({_command(started.get(pid))})"))
        elif kind in PROBLEM_KINDS:
            add((kind, rec.get("api", "?"), rec.get("where", "?")),
                Problem(kind, rec.get("api", "?"), rec.get("where", "?"),
                        detail=rec.get("message", "")))
    for p in problems.values():
        if p.kind == "cpu-fallback":
            # Calls per op name (all overloads), as torch_mlu warns once per name.
            base = p.api.split(".")[0]
            total = sum(n for op, n in fallback_calls.items() if op.split(".")[0] == base)
            p.count = max(p.count, total)
    signalled = _read_faults(faults if faults is not None else faults_dir(path), started,
                             problems)
    for pid in _vanished(started, exited | signalled):
        problems[("killed", pid)] = Problem(
            "killed", f"process {pid} ({_command(started[pid])})", "<no Python frame>",
            detail="ended without exiting normally: killed by a signal such as SIGKILL or "
                   "SIGTERM")
    summary.apis = dict(sorted(apis.items()))
    summary.started = len(started)
    summary.problems = list(problems.values())
    summary.records = records
    return summary


def load(path: Path) -> list[dict]:
    """Every record of a log, skipping torn lines."""
    records = []
    if path.exists():
        for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                rec = json.loads(raw)
            except json.JSONDecodeError:
                continue  # a process killed mid-write leaves a torn line
            if isinstance(rec, dict):
                records.append(rec)
    return records


def _settle(path: Path, faults: Path, grace: float) -> list[dict]:
    """The log once every process that started has exited or is gone (or `grace` ran out).

    A helper process (multiprocessing's resource tracker) may still be writing its exit line when
    the command ends; reading before it does would call it killed.
    """
    deadline = time.monotonic() + grace
    while True:
        records = load(path)
        done = {r.get("pid") for r in records if r.get("kind") == "process-exit"}
        if faults.is_dir():
            done |= {int(f.stem) for f in faults.glob("*.txt") if f.stem.isdigit()}
        pending = [r["pid"] for r in records
                   if r.get("kind") == "process-start" and r.get("pid") not in done]
        if not any(_alive(p) for p in pending) or time.monotonic() >= deadline:
            return records
        time.sleep(0.05)


def _first_line(text: str, limit: int = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _command(argv) -> str:
    return " ".join(argv) if argv else "?"


def _library_prefixes() -> tuple[str, ...]:
    paths = {str(Path(__file__).with_name("standin"))}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        p = sysconfig.get_paths().get(key)
        if p:
            paths.update((p, os.path.realpath(p)))
    spec = importlib.util.find_spec("torch")
    if spec is not None and spec.origin:
        paths.add(os.path.dirname(spec.origin))
    return tuple(p.rstrip(os.sep) + os.sep for p in paths)


_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)')


def _read_faults(folder: Path, started: dict, problems: dict) -> set[int]:
    """Problems from faulthandler reports; returns the pids they explain."""
    pids: set[int] = set()
    if not folder.is_dir():
        return pids
    libraries = None
    for report in sorted(folder.glob("*.txt")):
        text = report.read_text(encoding="utf-8", errors="replace")
        if not text.strip() or not report.stem.isdigit():
            continue
        pid = int(report.stem)
        pids.add(pid)
        name = next((sig for words, sig in _FAULTS.items() if words in text), "a fatal signal")
        libraries = libraries or _library_prefixes()
        where = "<no Python frame>"
        for line in text.splitlines():  # most recent call first: the first project frame
            m = _FRAME.match(line)
            if m and not os.path.abspath(m["file"]).startswith(libraries):
                where = _relative(m["file"]) + f":{m['line']}"
                break
        problems[("signal", pid)] = Problem(
            "signal", f"process {pid} ({_command(started.get(pid))}) died of {name}", where)
    return pids


def _relative(path: str) -> str:
    try:
        rel = os.path.relpath(path)
        return rel if not rel.startswith("..") else path
    except ValueError:
        return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _vanished(started: dict, accounted: set[int]) -> list[int]:
    return [pid for pid in started if pid not in accounted and not _alive(pid)]


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024
    return f"{n} B"


def signal_name(exit_code: int) -> str | None:
    """The signal that killed a command whose exit code is -N (subprocess's convention)."""
    if exit_code >= 0:
        return None
    try:
        return signal.Signals(-exit_code).name
    except ValueError:
        return f"signal {-exit_code}"


def _signal_note(exit_code: int) -> str:
    name = signal_name(exit_code)
    return f" (killed by {name})" if name else ""


def exit_problem(exit_code: int, command) -> Problem | None:
    """A failed command is a problem even when no process could say why."""
    if exit_code == 0:
        return None
    name = signal_name(exit_code)
    what = f"command killed by {name}" if name else f"command exited with {exit_code}"
    return Problem("exit", what, " ".join(command))


def render(summary: Summary, exit_code: int, emulated: bool = True) -> str:
    """emulated False: a real torch_mlu ran, so the emulator's own figures (MLU APIs, devices,
    memory, processes reported at exit) do not exist."""
    counted = (f"{summary.processes} process(es) reported" if emulated
               else f"{summary.started} process(es) started")
    lines = [f"gpu2mlu verify: command exited with {exit_code}{_signal_note(exit_code)} "
             f"({counted})"]
    if emulated:
        used = ", ".join(f"{k} x{v}" for k, v in summary.apis.items()) or "none"
        lines.append(f"  MLU APIs used: {used}")
        devs = ", ".join(f"mlu:{d}" for d in summary.devices) or "none"
        lines.append(f"  devices used: {devs}")
        peaks = ", ".join(f"mlu:{d} {_size(b)}" for d, b in sorted(summary.peak_bytes.items()))
        lines.append(f"  peak emulated memory: {peaks or 'n/a'}")
    if summary.problems:
        lines.append(f"  problems ({len(summary.problems)}):")
        for p in summary.problems:
            times = f" (x{p.count})" if p.count > 1 else ""
            lines.append(f"    {p.kind}: {p.api} at {p.where}{times}")
            if p.detail:
                lines.append(f"      {_first_line(p.detail, 300)}")
    else:
        lines.append("  problems: none")
    return "\n".join(lines)
