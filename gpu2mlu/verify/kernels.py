"""The op-coverage model: which ATen ops real torch_mlu runs on the MLU, per release line.

Data: gpu2mlu/rules/data/mlu_kernels/<line>.txt, one `name.overload` per line (the `aten:`
entries of torch_mlu's codegen/mlu_functions.yaml, the list its code generator registers MLU
kernels from), and dtypes.toml (dtypes the device computes differently, each with its source).
An op that reaches the emulator's CPU fallback and is not in the list is one that real torch_mlu
runs through its own CPU fallback (MLUFallback.cpp), with a warning, slowly.

Refresh a line from a copy of the YAML (the file at the commit you name):

    python -m gpu2mlu.verify.kernels --line 2.4 --branch r2.4_develop --commit SHA \
        --release 1.22.2-torch2.4.0 mlu_functions.yaml

It rewrites the line's .txt with a header naming the source.  Importing this needs no torch.
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

DATA = Path(__file__).resolve().parents[1] / "rules" / "data" / "mlu_kernels"
SOURCE_PATH = "codegen/mlu_functions.yaml"
REPO = "Cambricon/torch_mlu"

_SECTION = re.compile(r"^([A-Za-z_]\w*):\s*$")
_FUNC = re.compile(r"^\s*-\s*func:\s*([A-Za-z0-9_.]+)")


def parse_yaml(text: str) -> list[str]:
    """The `aten:` entries of mlu_functions.yaml, in file order, without duplicates.

    A full schema entry (`- func: name(args) -> ret`) yields its name; commented-out entries
    (`#- func:`) are skipped because the regular expression requires `-` first.
    """
    names: list[str] = []
    section = None
    for raw in text.splitlines():
        head = _SECTION.match(raw)
        if head:
            section = head.group(1)
            continue
        if section != "aten" or raw.lstrip().startswith("#"):
            continue
        m = _FUNC.match(raw)
        if m and m.group(1) not in names:
            names.append(m.group(1))
    return names


def path_for(line: str) -> Path:
    return DATA / f"{line}.txt"


def load(line: str) -> list[str]:
    """Op names (`name.overload`, no namespace) of the line; comments and blanks skipped."""
    names = []
    for raw in path_for(line).read_text(encoding="utf-8").splitlines():
        entry = raw.strip()
        if entry and not entry.startswith("#"):
            names.append(entry)
    return names


def covered(line: str) -> list[str]:
    """The line's list plus the CPU internals of listed ops (internals.toml), which a real MLU
    never runs because the listed op has its own kernel."""
    names = load(line)
    listed = set(names)
    with open(DATA / "internals.toml", "rb") as f:
        internals = tomllib.load(f).get("internals", {})
    return names + [op for parent, ops in internals.items() if parent in listed for op in ops]


def load_dtypes(line: str) -> list[dict]:
    """Dtype entries of dtypes.toml that apply to the line."""
    with open(DATA / "dtypes.toml", "rb") as f:
        data = tomllib.load(f)
    return [d for d in data.get("dtype", []) if line in d.get("lines", [line])]


def render(line: str, names: list[str], *, branch: str, commit: str, release: str,
           read_on: str) -> str:
    header = [
        f"# ATen ops torch_mlu registers MLU kernels for: PyTorch line {line}.",
        f"# Source: {REPO} {SOURCE_PATH}, the `aten:` section ({len(names)} entries),",
        f"#   branch {branch}, commit {commit} (scripts/release/build.property there: {release}).",
        f"# Read on {read_on}. Refresh: python -m gpu2mlu.verify.kernels (see its docstring).",
        "# One `name.overload` per line, in the file's order; an op not listed here that reaches",
        "# the CPU fallback on an MLU tensor falls back to the CPU on real torch_mlu.",
    ]
    return "\n".join(header + names) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Refresh a line's MLU kernel list from "
                                             "torch_mlu's codegen/mlu_functions.yaml.")
    ap.add_argument("--line", required=True, choices=("2.1", "2.3", "2.4"))
    ap.add_argument("--branch", required=True)
    ap.add_argument("--commit", required=True)
    ap.add_argument("--release", required=True, help="the version in build.property")
    ap.add_argument("yaml", type=Path)
    args = ap.parse_args(argv)
    names = parse_yaml(args.yaml.read_text(encoding="utf-8"))
    if not names:
        print(f"no `aten:` entries found in {args.yaml}", file=sys.stderr)
        return 1
    text = render(args.line, names, branch=args.branch, commit=args.commit,
                  release=args.release, read_on=datetime.date.today().isoformat())
    path_for(args.line).write_text(text, encoding="utf-8")
    print(f"{path_for(args.line)}: {len(names)} ops")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
