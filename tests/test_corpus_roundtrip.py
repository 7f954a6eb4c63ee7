"""Round trip of gpu2mlu over a real code base: timm, pinned in tests/corpus.py.

The wheel is fetched from PyPI on first use (cached afterwards). A failed
fetch FAILS the test: CI has network, so a silent skip would hide a broken
corpus. With GPU2MLU_OFFLINE=1 the network is never used: a cached corpus
still runs, a missing one skips.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from gpu2mlu.cli import main


def _load_corpus_helper():
    # Loaded by path so the test works under any pytest import mode.
    path = Path(__file__).with_name("corpus.py")
    spec = importlib.util.spec_from_file_location("gpu2mlu_test_corpus", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus_helper()

PACKAGE = "timm"

# Any of these words (any case) makes a file a candidate for conversion.
CUDA_WORDS = re.compile(
    rb"cuda|nccl|cudnn|cublas|cufft|curand|cusparse|cusolver|nvtx|nvml|nvcc|nvidia|cupy|gpu",
    re.IGNORECASE,
)
# `import torch`, `import os, torch.nn as nn`, `from torch import ...`, `from torch.x import ...`
TORCH_IMPORT = re.compile(rb"^[ \t]*(?:from[ \t]+torch\b|import[ \t][^\n#]*\btorch\b)", re.MULTILINE)


# ---------------------------------------------------------------- helpers

def _files(root: Path, exclude: frozenset[str] = frozenset()) -> dict[str, Path]:
    """Relative POSIX path -> file, for every regular file under root."""
    out = {}
    for path in root.rglob("*"):
        if path.is_file():
            rel = path.relative_to(root).as_posix()
            if rel not in exclude:
                out[rel] = path
    return out


def _report_files(src: Path, out: Path) -> frozenset[str]:
    """Top-level files the converter added to OUT (report.json and friends)."""
    return frozenset(
        p.name for p in out.iterdir() if p.is_file() and not (src / p.name).exists()
    )


def _parses(data: bytes) -> bool:
    try:
        ast.parse(data)
    except (SyntaxError, ValueError):
        return False
    return True


def _convert(src: Path, out: Path) -> int:
    return main(["-i", str(src), "-o", str(out), "--force", "-q"])


def _first(items, n=10) -> str:
    items = sorted(items)
    more = f"\n  ... and {len(items) - n} more" if len(items) > n else ""
    return "\n  " + "\n  ".join(map(str, items[:n])) + more


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def src() -> Path:
    offline = os.environ.get("GPU2MLU_OFFLINE") == "1"
    try:
        return corpus.corpus_tree(PACKAGE, fetch=not offline)
    except corpus.CorpusError as exc:
        if offline:
            pytest.skip(f"GPU2MLU_OFFLINE=1 and no cached corpus: {exc}")
        pytest.fail(
            f"could not fetch the {PACKAGE} corpus ({exc}).\n"
            "This test needs PyPI; set GPU2MLU_OFFLINE=1 to skip it offline.",
            pytrace=False,
        )


@pytest.fixture(scope="module")
def first(src, tmp_path_factory):
    """(exit code, OUT) of converting the pristine tree."""
    out = tmp_path_factory.mktemp("roundtrip") / "out1"
    return _convert(src, out), out


@pytest.fixture(scope="module")
def second(src, first, tmp_path_factory):
    """(exit code, input, OUT) of converting the first output again."""
    _, out1 = first
    base = tmp_path_factory.mktemp("idempotence")
    # Strip the report files first: they are not part of the project, and a
    # report.json in the input would collide with the one the converter writes.
    reports = _report_files(src, out1)
    inp = base / "in"
    shutil.copytree(out1, inp, ignore=lambda d, names: reports if Path(d) == out1 else ())
    out2 = base / "out2"
    return _convert(inp, out2), inp, out2


# ---------------------------------------------------------------- tests

def test_exit_code_is_zero(first):
    rc, _ = first
    assert rc == 0


def test_every_input_file_is_in_output(src, first):
    _, out = first
    missing = set(_files(src)) - set(_files(out))
    assert not missing, f"{len(missing)} input files missing from output:{_first(missing)}"


def test_non_python_files_are_copied_byte_for_byte(src, first):
    _, out = first
    differ = [
        rel for rel, path in _files(src).items()
        if not rel.endswith(".py") and (out / rel).is_file()
        and (out / rel).read_bytes() != path.read_bytes()
    ]
    assert not differ, f"{len(differ)} non-.py files changed:{_first(differ)}"


def test_output_python_parses(src, first):
    _, out = first
    broken = [
        rel for rel, path in _files(src).items()
        if rel.endswith(".py") and (out / rel).is_file()
        and _parses(path.read_bytes()) and not _parses((out / rel).read_bytes())
    ]
    assert not broken, f"{len(broken)} converted files no longer parse:{_first(broken)}"


def test_files_without_cuda_or_torch_are_untouched(src, first):
    _, out = first
    candidates = changed = 0
    differ = []
    for rel, path in _files(src).items():
        if not rel.endswith(".py"):
            continue
        data = path.read_bytes()
        if CUDA_WORDS.search(data) or TORCH_IMPORT.search(data):
            continue
        candidates += 1
        if (out / rel).is_file() and (out / rel).read_bytes() != data:
            changed += 1
            differ.append(rel)
    # Guard against a regex that silently excludes everything.
    assert candidates > 0, "no .py file without CUDA words and torch imports; check the filters"
    assert not differ, (
        f"{changed} of {candidates} files with no CUDA word and no torch import "
        f"were changed:{_first(differ)}"
    )


def test_converting_again_changes_nothing(second):
    rc, inp, out2 = second
    assert rc == 0
    reports = _report_files(inp, out2)
    before, after = _files(inp), _files(out2, exclude=reports)
    assert set(before) == set(after), (
        f"file sets differ: only in input {_first(set(before) - set(after))}, "
        f"only in output {_first(set(after) - set(before))}"
    )
    differ = [rel for rel in before if before[rel].read_bytes() != after[rel].read_bytes()]
    assert not differ, f"second conversion changed {len(differ)} files:{_first(differ)}"


def test_report_is_valid(src, first):
    _, out = first
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    for key in ("changes", "findings", "skipped", "summary"):
        assert key in report, f"report.json lacks {key!r}"
    assert report["skipped"] == [], "exit code 0 but report lists skipped files"

    files = report["summary"]["files"]
    for key in ("scanned", "converted", "copied", "skipped"):
        assert isinstance(files.get(key), int) and files[key] >= 0, f"summary.files.{key}: {files.get(key)!r}"

    def exists(name: str) -> bool:
        p = Path(name)
        return p.is_file() if p.is_absolute() else (out / p).is_file()

    for kind, fields in (("changes", ("file", "line", "rule", "before", "after")),
                         ("findings", ("file", "line", "id", "message", "suggestion"))):
        entries = report[kind]
        for entry in entries:
            absent = [f for f in fields if f not in entry]
            assert not absent, f"{kind} entry lacks {absent}: {entry}"
        gone = {e["file"] for e in entries if not exists(e["file"])}
        assert not gone, f"{kind} name files that are not in the output:{_first(gone)}"
        bad_lines = [e for e in entries if not (isinstance(e["line"], int) and e["line"] >= 1)]
        assert not bad_lines, f"{kind} with invalid line numbers: {bad_lines[:3]}"
