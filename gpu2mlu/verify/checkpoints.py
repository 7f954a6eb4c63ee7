"""Pair the files two runs saved with torch.save and compare them in a child process.

A saved file is named by its path relative to the run's working directory (a file saved
outside it: by its absolute path), so `ORIGINAL_DIR/ckpt.pt` pairs with `./ckpt.pt`.  A file the
first run saved outside its directory is copied away before the second run, which would
overwrite it.  A path saved several times is compared as it was last written.  No torch here:
ckptdiff.py does the loading, under the verify environment (runner.run), so MLU storages load.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from . import runner

CKPTDIFF = Path(__file__).with_name("ckptdiff.py")


@dataclasses.dataclass
class Saves:
    files: dict[str, str | None] = dataclasses.field(default_factory=dict)  # None: since deleted
    unnamed: int = 0  # saves into file objects without a path (BytesIO): not compared


@dataclasses.dataclass
class FileResult:
    name: str
    tensors: int = 0
    differing_tensors: int = 0
    differing_leaves: int = 0
    first: str | None = None
    error: str | None = None  # could not be compared (only one side, deleted, unreadable)

    @property
    def differs(self) -> bool:
        return bool(self.error or self.differing_tensors or self.differing_leaves)


def collect(saved: list[str | None], run_dir: Path, keep_outside: Path | None = None) -> Saves:
    """The run's saved files by name; with keep_outside, those outside run_dir are copied there."""
    saves = Saves()
    base = os.path.realpath(run_dir)
    for path in dict.fromkeys(saved):  # once per path, in order
        if path is None:
            saves.unnamed += 1
            continue
        real = os.path.realpath(path)
        inside = os.path.commonpath([real, base]) == base
        name = Path(os.path.relpath(real, base)).as_posix() if inside else path
        if not os.path.isfile(real):
            saves.files[name] = None
        elif keep_outside is not None and not inside:
            keep_outside.mkdir(parents=True, exist_ok=True)
            copy = keep_outside / f"{len(saves.files)}-{os.path.basename(real)}"
            shutil.copyfile(real, copy)
            saves.files[name] = str(copy)
        else:
            saves.files[name] = real
    return saves


def compare(original: Saves, converted: Saves, config: runner.VerifyConfig) -> list[FileResult]:
    """One result per name either run saved; `config` gives the environment (devices, line)."""
    results: dict[str, FileResult] = {}
    pairs = []
    for name in {**original.files, **converted.files}:
        a, b = original.files.get(name, ""), converted.files.get(name, "")
        if not a and not b:
            continue  # saved then deleted by both (or never saved): nothing to compare
        if name not in converted.files or name not in original.files:
            side = "original" if name in original.files else "converted"
            results[name] = FileResult(name, error=f"saved by the {side} run only")
        elif not a or not b:
            side = "original" if not a else "converted"
            results[name] = FileResult(name, error=f"deleted by the {side} run after saving")
        else:
            results[name] = FileResult(name)
            pairs.append([name, a, b])
    if pairs:
        for entry in _run_ckptdiff(pairs, config):
            results[entry["name"]] = FileResult(**entry)
    return list(results.values())


def _run_ckptdiff(pairs: list[list[str]], config: runner.VerifyConfig) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="gpu2mlu-ckptdiff-") as tmp:
        pairs_file, result_file = Path(tmp) / "pairs.json", Path(tmp) / "result.json"
        pairs_file.write_text(json.dumps(pairs), encoding="utf-8")
        child = dataclasses.replace(
            config, command=(sys.executable, str(CKPTDIFF), str(pairs_file), str(result_file)),
            cwd=None, log_file=None, mode="verify", capture=True)
        result = runner.run(child)
        if result.exit_code == 0 and result_file.exists():
            return json.loads(result_file.read_text(encoding="utf-8"))
        tail = " ".join(result.stderr.strip().splitlines()[-1:]) or f"exit {result.exit_code}"
        return [{"name": name, "error": f"could not be compared: {tail}"} for name, _, _ in pairs]
