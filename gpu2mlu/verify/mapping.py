"""The mapping table `gpu2mlu run` hands to every process of the run (GPU2MLU_RUN_MAP).

One source of truth: the converter's RuleSet for the torch_mlu line (torch_api.toml, literals.toml,
env.toml, packages.toml, and runtime.toml, which the rules loader checks with the others), written
as JSON because the stand-in's _gpu2mlu_migration runs inside the user's interpreter and must not
import gpu2mlu.

{"format": 1, "line": "2.4",
 "names": {"torch.cuda.is_available": {"status": "mapped", "to": "torch.mlu.is_available",
           "rule": "torch-cuda-api", "finding": null}, ...},   # + "module": true, "closed": bool,
                                                               #   "call": {...} where they apply
 "devices": {"cuda": "mlu"}, "backends": {"nccl": "cncl"}, "exact": {"cuda_time_total": ...},
 "env": {"renamed": {...}, "unsupported": {"CUDA_LAUNCH_BLOCKING": "GM401", ...},
         "different": {"TORCH_CUDA_ARCH_LIST": "TORCH_BANG_ARCH_LIST"},
         "prefixes": [["NCCL_", "GM402"], ["CUDA_", "GM404"], ...]},
 "device_args": [{"names": [...], "keyword": "device", "position": 0, "value": "device",
                  "rule": "device-literal"}, ...],
 "profiler_calls": [...], "skip_families": [...],
 "identity": {"absent": {"is_available": false, ...}, "cuda_absent": ["apex", ...]}}

Status of a name: same or renamed -> "mapped"; renamed or same but reported -> "flagged";
no MLU equivalent -> "unsupported" (the real attribute is used and the finding logged).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Iterable

FORMAT = 1
MAP_ENV = "GPU2MLU_RUN_MAP"  # path of the JSON file, for every process of a run
ROOT_ENV = "GPU2MLU_RUN_ROOT"  # the project's root (the command's working directory at start)


def status(entry) -> str:
    if entry.target is None and entry.call is None:
        return "unsupported" if entry.finding else "mapped"
    return "flagged" if entry.finding else "mapped"


def _literal(source: str):
    """A call rule's argument as the converter writes it ("'mlu'") -> its value ("mlu")."""
    return ast.literal_eval(source)


def call_spec(call) -> dict:
    spec: dict = {}
    if call.insert is not None:
        spec["insert"] = _literal(call.insert)
    if call.insert_unless_positional is not None:
        spec["insert_unless_positional"] = call.insert_unless_positional
    if call.insert_unless_keyword is not None:
        spec["insert_unless_keyword"] = call.insert_unless_keyword
    if call.positional_to_keywords:
        spec["positional_to_keywords"] = list(call.positional_to_keywords)
    if call.rename_keywords:
        spec["rename_keywords"] = dict(call.rename_keywords)
    if call.add_keyword is not None:
        name, _, value = call.add_keyword.partition("=")
        spec["add_keyword"] = [name.strip(), _literal(value.strip())]
    if call.only_with_positional_fewer_than is not None:
        spec["only_with_positional_fewer_than"] = call.only_with_positional_fewer_than
    return spec


def names(rs) -> dict:
    table = {}
    for name, entry in sorted(rs.entries.items()):
        row = {"status": status(entry), "to": entry.target, "rule": entry.rule, "finding": entry.finding}
        if entry.is_module:
            row.update(module=True, closed=entry.closed)
        if entry.call is not None:
            row["call"] = call_spec(entry.call)
        table[name] = row
    return table


def env(rs) -> dict:
    renamed, unsupported, different = {}, {}, {}
    for name, rule in sorted(rs.env.items()):
        if rule.new and rule.finding is None:
            renamed[name] = rule.new
        elif rule.new:  # renamed, but its values mean something else on MLU (GM403)
            different[name] = rule.new
            unsupported[name] = rule.finding
        else:
            unsupported[name] = rule.finding
    prefixes = [[p, "GM402"] for p in rs.nccl_env_prefixes] + [[p, "GM404"] for p in rs.cuda_env_prefixes]
    return {"renamed": renamed, "unsupported": unsupported, "different": different, "prefixes": prefixes}


def cuda_only_packages(rs) -> list[str]:
    """packages.toml [cuda_only]: import names of packages that run on NVIDIA GPUs only."""
    return sorted(rs.packages)


def build(line: str, cuda_absent: Iterable[str] = ()) -> dict:
    from gpu2mlu.rules import load_ruleset

    rs = load_ruleset(line)
    absent = sorted(set(cuda_only_packages(rs)) | set(rs.cuda_absent_packages) | set(cuda_absent))
    return {
        "format": FORMAT,
        "line": line,
        "names": names(rs),
        "devices": dict(rs.devices),
        "backends": dict(rs.backends),
        "exact": dict(rs.exact_literals),
        "env": env(rs),
        "device_args": [dict(row) for row in rs.device_args],
        "profiler_calls": sorted(rs.profiler_calls),
        "skip_families": list(rs.run_skip_families),
        "identity": {"absent": dict(rs.cuda_absent_answers), "cuda_absent": absent},
    }


def write(path: Path, line: str, cuda_absent: Iterable[str] = ()) -> None:
    Path(path).write_text(json.dumps(build(line, cuda_absent), indent=0, sort_keys=True),
                          encoding="utf-8")


def project_cuda_absent(root: Path) -> tuple[str, ...]:
    """`[tool.gpu2mlu.run] cuda-absent` of the project at `root` (settings.SettingsError if bad)."""
    from gpu2mlu import settings

    return settings.build(settings.from_pyproject(settings.find_pyproject(root)), {}).cuda_absent
