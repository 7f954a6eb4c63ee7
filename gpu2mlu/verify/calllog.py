"""The call log of `gpu2mlu run`: what was mapped from CUDA to the MLU at run time, and where.

Every process of a run writes one "run-call" event per distinct (status, call, site) when it
first happens, and a "run-call-counts" event with the final counts at exit (the stand-in's
_gpu2mlu_migration layer; the `nvidia-smi` stand-in writes "run-call" only). This module folds them
into one list for the whole run:

- status: "mapped" (converted at run time), "flagged" (mapped, but a finding asks for review),
  "unsupported" (no MLU equivalent: left as it is and reported), "hidden" (a package on the
  CUDA-absent list was told CUDA is absent), "env" (an environment variable was mapped);
- the site is the innermost frame outside torch, the stand-in and the standard library,
  attributed to the project (package None) or to the dependency package it sits in.

It can be written as JSON (`--log`), summarised as text, and turned into the converter's
report model, so report.md / report.html / report.json show a runtime migration in the same
format as a static one.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import string
from pathlib import Path

from gpu2mlu import __version__
from gpu2mlu.verify import events
from gpu2mlu.report.model import RunResult, summarize
from gpu2mlu.results import CONVERTED, UNCHANGED, Change, FileResult, Finding

STATUSES = ("mapped", "flagged", "unsupported", "hidden", "env")
NEEDS_A_HUMAN = ("flagged", "unsupported")


@dataclasses.dataclass(frozen=True)
class Call:
    status: str
    api: str
    to: str | None
    rule: str
    finding: str | None
    where: str
    file: str | None
    line: int | None
    package: str | None
    count: int

    @property
    def owner(self) -> str:
        return self.package or "project"


def _key(rec: dict) -> tuple:
    return (rec.get("status", "mapped"), rec.get("api", "?"), rec.get("to"), rec.get("rule", "?"),
            rec.get("finding"), rec.get("where", "?"), rec.get("file"), rec.get("line"),
            rec.get("package"))


def read(path: Path) -> list[Call]:
    """All calls of a run's event log, one per distinct call and site, most frequent first."""
    return fold(events.load(path))


def fold(records) -> list[Call]:
    """All calls of a run's event records (events.Summary.records), one per call and site."""
    first: dict[tuple[int, int], dict] = {}
    counts: dict[tuple[int, int], int] = {}
    shell_calls: list[dict] = []
    for rec in records:
        kind = rec.get("kind")
        if kind == "run-call":
            if rec.get("id", 0) == 0 and rec.get("file") is None and rec.get("rule") == "launch":
                shell_calls.append(_shell_site(rec))  # a stand-in program: one event per call
            else:
                first[(rec.get("pid"), rec.get("id"))] = rec
        elif kind == "run-call-counts":
            for ident, n in (rec.get("counts") or {}).items():
                counts[(rec.get("pid"), int(ident))] = int(n)
    totals: collections.Counter = collections.Counter()
    for ident, rec in first.items():
        totals[_key(rec)] += counts.get(ident, 1)  # no counts: the process died first
    for rec in shell_calls:
        totals[_key(rec)] += 1
    calls = [Call(*key, count=n) for key, n in totals.items()]
    calls.sort(key=lambda c: (STATUSES.index(c.status) if c.status in STATUSES else 9,
                              c.package or "", c.file or "", c.line or 0, c.api))
    return calls


_SHELLS = ("sh", "bash", "dash", "zsh", "ksh")


def _shell_site(rec: dict) -> dict:
    """A program stand-in logs its caller's command line; `bash run.sh --epochs 1` -> run.sh."""
    words = str(rec.get("where", "")).split()
    if len(words) >= 2 and os.path.basename(words[0]) in _SHELLS and not words[1].startswith("-"):
        return {**rec, "where": words[1], "file": words[1]}
    return rec


def to_json(calls: list[Call], command, exit_code: int, problems=()) -> dict:
    by_owner: collections.Counter = collections.Counter(c.owner for c in calls)
    return {
        "tool": f"gpu2mlu {__version__}",
        "command": list(command),
        "exit_code": exit_code,
        "calls": [dataclasses.asdict(c) for c in calls],
        "by_status": dict(collections.Counter(c.status for c in calls)),
        "by_owner": dict(sorted(by_owner.items())),
        "problems": [dataclasses.asdict(p) for p in problems],
    }


def render(calls: list[Call], limit: int = 25) -> str:
    """The call-log part of the end-of-run summary (text)."""
    if not calls:
        return "  CUDA calls mapped at run time: none"
    owners = sorted({c.package for c in calls if c.package})
    project = sum(1 for c in calls if not c.package)
    lines = [f"  CUDA call sites seen at run time: {len(calls)} (project {project}"
             + (f"; dependencies: {', '.join(owners)}" if owners else "") + ")"]
    titles = {"mapped": "mapped", "flagged": "mapped, needs review", "unsupported":
              "no MLU equivalent, left as is", "hidden": "CUDA shown as absent", "env": "environment"}
    for status in STATUSES:
        group = [c for c in calls if c.status == status]
        if not group:
            continue
        lines.append(f"  {titles[status]} ({len(group)}):")
        for c in group[:limit]:
            to = " (the same on MLU)" if c.to == c.api else f" -> {c.to}" if c.to else ""
            fid = f"{c.finding} " if c.finding else ""
            owner = f" [{c.package}]" if c.package else ""
            times = f" (x{c.count})" if c.count > 1 else ""
            lines.append(f"    {fid}{c.api}{to} at {c.where}{owner}{times}")
        if len(group) > limit:
            lines.append(f"    ... {len(group) - limit} more (see --log or --report)")
    return "\n".join(lines)


class _Blank(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def _message(template: str, call: Call) -> str:
    fields = _Blank(name=call.api, new=call.to or "", old=call.api)
    return string.Formatter().vformat(template, (), fields)


def report_model(calls: list[Call], root: Path, line: str, command, wall_seconds: float = 0.0,
                 findings=None) -> RunResult:
    """The converter's report model for a runtime migration: one "file" per source file with
    calls (dependencies as `package: path`), a change row per mapped call site, a finding row
    per call that needs a human."""
    if findings is None:
        from gpu2mlu.rules import load_ruleset

        findings = load_ruleset(line).findings
    files: dict[str, FileResult] = {}
    for c in calls:
        if c.status == "hidden":
            continue  # a decision of the identity policy, not a call of the program's
        path = _display_path(c, root)
        f = files.setdefault(path, FileResult(path=path, status=UNCHANGED, kind="python"
                                              if (c.file or "").endswith(".py") else "other"))
        times = f" (x{c.count})" if c.count > 1 else ""
        if c.status in ("mapped", "flagged", "env"):
            f.changes.append(Change(c.line or 0, c.rule, c.api, f"{c.to or c.api} (at run time){times}"))
            f.status = CONVERTED
        if c.finding and c.status in NEEDS_A_HUMAN:
            spec = findings.get(c.finding)
            message = _message(spec.message, c) if spec else f"{c.api}{times}"
            suggestion = _message(spec.suggestion, c) if spec else ""
            f.findings.append(Finding(c.line or 0, c.finding, message + times, suggestion))
    owner = {_display_path(c, root): c.package for c in calls}
    run = RunResult(input=str(root), output="(mapped at run time: " + " ".join(command) + ")",
                    line=line, files=sorted(files.values(), key=lambda f: (owner[f.path] or "", f.path)),
                    wall_seconds=wall_seconds)
    run.summary = summarize(run)
    return run


def owners_markdown(calls: list[Call]) -> str:
    """report.md's extra section for a runtime migration: whose code made the CUDA calls, so a
    team sees which dependencies need a migration of their own."""
    rows = collections.defaultdict(lambda: [0, 0, 0])
    for c in calls:
        row = rows[c.owner]
        row[0 if c.status in ("mapped", "env") else 1 if c.status in NEEDS_A_HUMAN else 2] += 1
    out = ["", "## CUDA Call Sites by Owner (mapped at run time)",
           "| Owner | Mapped | Need a human | CUDA shown as absent |", "| --- | --- | --- | --- |"]
    for name in sorted(rows, key=lambda n: (n != "project", n)):
        mapped, human, hidden = rows[name]
        out.append(f"| {name} | {mapped} | {human} | {hidden} |")
    return "\n".join(out) + "\n"


def _display_path(c: Call, root: Path) -> str:
    if c.file is None:
        return c.where
    if c.package:
        marker = os.sep + c.package + os.sep
        cut = c.file.rfind(marker)
        inner = c.file[cut + 1:] if cut >= 0 else os.path.basename(c.file)
        return inner.replace(os.sep, "/")
    try:
        rel = os.path.relpath(c.file, root)
        return c.file if rel.startswith("..") else rel.replace(os.sep, "/")
    except ValueError:
        return c.file
