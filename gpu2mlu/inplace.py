"""--in-place: convert the input tree itself, keeping the original of every changed file, and
--undo: put those originals back.

The backup lives in PROJECT/.gpu2mlu/backup-YYYYmmdd-HHMMSS/: `files/` holds the original bytes,
`manifest.json` the SHA-256 of each file before and after, next to the run's reports and
changes.patch. gpu2mlu never walks `.gpu2mlu/`, and a `.gitignore` in it keeps it out of git.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from gpu2mlu.report import RunResult
from gpu2mlu.report.patch import file_bytes
from gpu2mlu.settings import Settings

STATE_DIR = ".gpu2mlu"
MANIFEST = "manifest.json"


def _engine():
    from gpu2mlu import engine  # engine imports this module at its end
    return engine


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def uncommitted_changes(folder: Path) -> Optional[list[str]]:
    """`git status` lines for a git work tree, None when `folder` is not in one (or git is absent)."""
    try:
        proc = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--", "."],
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return [line for line in proc.stdout.splitlines() if STATE_DIR not in line]


def convert_in_place(src, settings: Optional[Settings] = None, *, allow_dirty: bool = False,
                     progress=None) -> RunResult:
    """Convert the folder `src` itself. Refuses a git work tree with uncommitted changes unless
    `allow_dirty`, so that `git diff` shows exactly gpu2mlu's changes and `git checkout .` undoes them."""
    engine = _engine()
    src = Path(src)
    engine.check_input(src)
    if not src.is_dir():
        raise engine.MigrationError("--in-place needs a folder; for one file use -o")
    dirty = uncommitted_changes(src)
    if dirty and not allow_dirty:
        shown = "\n  ".join(dirty[:10]) + ("\n  ..." if len(dirty) > 10 else "")
        raise engine.MigrationError(
            f"{src} is a git work tree with uncommitted changes; commit or stash them first "
            f"(or pass --allow-dirty):\n  {shown}")
    run = engine.preview([src], settings, progress=progress, base=src)
    run.input = run.output = str(src.resolve())
    changed = [(f, *file_bytes(f)) for f in run.files if f.before is not None and f.after is not None]
    backup = _new_backup(src)
    # First every original into the backup and the manifest, then the converted files: whatever
    # stops the run half way, --undo finds each file either converted or still original.
    for f, before, _ in changed:
        target = src / f.path
        if target.read_bytes() != before:
            shutil.rmtree(backup)
            raise engine.MigrationError(f"{f.path} changed while gpu2mlu was converting it; nothing was written")
        saved = backup / "files" / f.path
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_bytes(before)
        shutil.copystat(target, saved)
    manifest = [{"file": f.path, "before": _sha(before), "after": _sha(after)} for f, before, after in changed]
    (backup / MANIFEST).write_text(json.dumps({"tool": "gpu2mlu", "files": manifest}, indent=1) + "\n",
                                   encoding="utf-8")
    for f, _, after in changed:
        _write_atomically(src / f.path, after)
    run.backup = str(backup)
    engine.write_reports(run, backup)
    return run


def _new_backup(src: Path) -> Path:
    state = src / STATE_DIR
    state.mkdir(exist_ok=True)
    ignore = state / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# gpu2mlu --in-place backups; `gpu2mlu --undo` restores from them\n*\n", encoding="utf-8")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = state / f"backup-{stamp}"
    n = 1
    while backup.exists():
        n += 1
        backup = state / f"backup-{stamp}-{n}"
    backup.mkdir()
    return backup


def _write_atomically(target: Path, data: bytes, mode: Optional[int] = None) -> None:
    mode = target.stat().st_mode & 0o7777 if mode is None else mode
    tmp = target.with_name(f".{target.name}.gpu2mlu-tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, mode)
    os.replace(tmp, target)


@dataclass
class UndoResult:
    backup: str
    restored: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # already identical to the original
    conflicts: list[str] = field(default_factory=list)  # edited since the conversion: left alone


def backups(src: Path) -> list[Path]:
    state = Path(src) / STATE_DIR
    if not state.is_dir():
        return []
    return sorted((p for p in state.iterdir() if p.is_dir() and (p / MANIFEST).is_file()),
                  key=lambda p: p.stat().st_mtime)


def undo(src, *, force: bool = False) -> UndoResult:
    """Restore the originals of the latest --in-place run. A file edited since that run is a
    conflict: nothing is restored unless `force`, which overwrites it."""
    engine = _engine()
    src = Path(src)
    found = backups(src)
    if not found:
        raise engine.MigrationError(f"no gpu2mlu --in-place backup in {src / STATE_DIR}")
    backup = found[-1]
    entries = json.loads((backup / MANIFEST).read_text(encoding="utf-8"))["files"]
    result = UndoResult(str(backup))
    plan = []
    for entry in entries:
        target = src / entry["file"]
        current = _sha(target.read_bytes()) if target.is_file() else None
        if current == entry["before"]:
            result.already.append(entry["file"])
        elif current == entry["after"] or force:
            plan.append(entry["file"])
        else:
            result.conflicts.append(entry["file"])
    if result.conflicts and not force:
        return result
    for rel in plan:
        saved = backup / "files" / rel
        target = src / rel
        mode = None if target.is_file() else saved.stat().st_mode & 0o7777
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(target, saved.read_bytes(), mode)
        result.restored.append(rel)
    shutil.rmtree(backup)
    return result
