"""Read the JSON-lines event log of a verify run and condense it to a summary.

Writers are the stand-in's processes (torch_mlu/_events.py); record kinds:
"process" (one per process at exit: devices, peak bytes, MLU APIs used),
"residual-cuda", "unsupported-api", "not-emulated" (one per failure).
"""

from __future__ import annotations

import collections
import dataclasses
import json
from pathlib import Path

PROBLEM_KINDS = ("residual-cuda", "unsupported-api", "not-emulated")


@dataclasses.dataclass
class Problem:
    kind: str
    api: str
    where: str
    count: int = 1


@dataclasses.dataclass
class Summary:
    processes: int = 0
    apis: dict[str, int] = dataclasses.field(default_factory=dict)
    peak_bytes: dict[int, int] = dataclasses.field(default_factory=dict)
    problems: list[Problem] = dataclasses.field(default_factory=list)

    @property
    def devices(self) -> list[int]:
        return sorted(self.peak_bytes)


def read(path: Path) -> Summary:
    summary = Summary()
    apis: collections.Counter = collections.Counter()
    problems: dict[tuple[str, str, str], Problem] = {}
    if not path.exists():
        return summary
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(raw)
        except json.JSONDecodeError:
            continue  # a process killed mid-write leaves a torn line
        kind = rec.get("kind")
        if kind == "process":
            summary.processes += 1
            apis.update(rec.get("apis", {}))
            for dev, stats in rec.get("devices", {}).items():
                d = int(dev)
                summary.peak_bytes[d] = max(summary.peak_bytes.get(d, 0), stats["peak_bytes"])
        elif kind in PROBLEM_KINDS:
            key = (kind, rec.get("api", "?"), rec.get("where", "?"))
            if key in problems:
                problems[key].count += 1
            else:
                problems[key] = Problem(*key)
    summary.apis = dict(sorted(apis.items()))
    summary.problems = list(problems.values())
    return summary


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024
    return f"{n} B"


def render(summary: Summary, exit_code: int) -> str:
    lines = [f"gpu2mlu verify: command exited with {exit_code} "
             f"({summary.processes} process(es) reported)"]
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
    else:
        lines.append("  problems: none")
    return "\n".join(lines)
