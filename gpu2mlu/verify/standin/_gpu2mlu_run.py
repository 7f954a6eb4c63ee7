"""`gpu2mlu run`: the mapping table and the call log of one process, and CUDA environment variables.

sitecustomize imports this in every interpreter of a run (GPU2MLU_MODE=run), before the program
and without torch. The torch side of the mapping is _gpu2mlu_migration.

The call log: one "run-call" event per distinct (status, api, site) at its first occurrence, with a
per-process id, and one "run-call-counts" event {id: count} when the process leaves (also through
os._exit). Counting happens in memory; nothing is written per call.
"""

from __future__ import annotations

import json
import os

import _gpu2mlu_process

MAP_ENV = "GPU2MLU_RUN_MAP"
# MLU variable names this layer set itself (so a child whose CUDA variable changed is re-mapped).
MAPPED_ENV = "GPU2MLU_RUN_ENV_MAPPED"
# Variables with no MLU equivalent already logged by this process or an ancestor: logged once a run.
REPORTED_ENV = "GPU2MLU_RUN_ENV_REPORTED"
ENV_RULE = "env-var"

_table: dict | None = None
_ids: dict[tuple, int] = {}
_counts: dict[int, int] = {}


def table() -> dict:
    """The mapping table written by gpu2mlu/verify/mapping.py (empty without one)."""
    global _table
    if _table is None:
        path = os.environ.get(MAP_ENV)
        try:
            with open(path, encoding="utf-8") as f:
                _table = json.load(f)
        except (TypeError, OSError, ValueError):
            _table = {}
    return _table


def note(status: str, api: str, to, rule: str, finding, file=None, line=None, package=None) -> None:
    """Count one call; the first of its (status, api, site) is written as a "run-call" event."""
    key = (status, api, file, line)
    ident = _ids.get(key)
    if ident is None:
        ident = _ids[key] = len(_ids) + 1
        _counts[ident] = 0
        if file is not None:
            at = _gpu2mlu_process.where(file, line)
        else:
            at = "<environment>" if api.startswith("env ") else "<unknown location>"
        _gpu2mlu_process.record("run-call", id=ident, status=status, api=api, to=to, rule=rule,
                                finding=finding, where=at, file=file, line=line, package=package)
    _counts[ident] += 1


def _write_counts() -> None:
    if _counts:
        _gpu2mlu_process.record("run-call-counts", counts={str(k): v for k, v in _counts.items()})


def _forget_parent_calls() -> None:
    # A forked child logs its own calls: ids are per process (events carry the pid).
    _ids.clear()
    _counts.clear()


def map_environment() -> None:
    """CUDA variable set and its MLU name not (or set by us from an older value): set the MLU name.

    Variables with no MLU equivalent are logged as unsupported. Runs at interpreter start and again
    when torch is imported (a program may set CUDA_VISIBLE_DEVICES itself before importing torch).
    """
    env = table().get("env")
    if not env:
        return
    ours = set(filter(None, os.environ.get(MAPPED_ENV, "").split(",")))
    for cuda, mlu in env["renamed"].items():
        value = os.environ.get(cuda)
        if value is None or (mlu in os.environ and mlu not in ours) or os.environ.get(mlu) == value:
            continue
        os.environ[mlu] = value
        ours.add(mlu)
        note("env", f"env {cuda}", mlu, ENV_RULE, None)
    if ours:
        os.environ[MAPPED_ENV] = ",".join(sorted(ours))
    known = set(env["renamed"]) | set(env["unsupported"])
    reported = set(filter(None, os.environ.get(REPORTED_ENV, "").split(",")))
    for name in sorted(os.environ):
        finding = env["unsupported"].get(name)
        if finding is None and name not in known:
            finding = next((fid for prefix, fid in env["prefixes"] if name.startswith(prefix)), None)
        if finding is not None and name not in reported:
            reported.add(name)
            note("unsupported", f"env {name}", env["different"].get(name), ENV_RULE, finding)
    if reported:
        os.environ[REPORTED_ENV] = ",".join(sorted(reported))


def install() -> None:
    if not table():
        return
    _gpu2mlu_process.at_exit(_write_counts)
    os.register_at_fork(after_in_child=_forget_parent_calls)
    map_environment()
