"""convert_in_place: the journaled --in-place run.

Order: convert in memory; keep every original and the reports in the backup; write the manifest
(state "converting") and flush; replace the files one by one; mark the manifest "done". A failure
or a signal while replacing puts every replaced file back before the run ends, so the project is
either fully converted or unchanged; only a kill (SIGKILL, power loss) can leave it half way, and
then the manifest lets --undo restore it completely.
"""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Optional

from gpu2mlu import faults
from gpu2mlu.engine import preview, write_reports
from gpu2mlu.errors import MigrationError, WriteError
from gpu2mlu.inplace.journal import (CONVERTING, DONE, STATE_DIR, Backup, Entry, backups, lock_state,
                                     remove_unfinished, sha256, write_atomically)
from gpu2mlu.output import signals_held, check_input
from gpu2mlu.report import RunResult
from gpu2mlu.report.patch import file_bytes
from gpu2mlu.settings import Settings


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
    src = Path(src)
    check_input(src)
    if not src.is_dir():
        raise MigrationError("--in-place needs a folder; for one file use -o")
    dirty = uncommitted_changes(src)
    if dirty and not allow_dirty:
        shown = "\n  ".join(dirty[:10]) + ("\n  ..." if len(dirty) > 10 else "")
        raise MigrationError(
            f"{src} is a git work tree with uncommitted changes; commit or stash them first "
            f"(or pass --allow-dirty):\n  {shown}")
    with lock_state(src):
        state_dir = src / STATE_DIR
        remove_unfinished(state_dir)
        for path in backups(state_dir):
            if Backup.load(path).state == CONVERTING:
                raise MigrationError(
                    f"an earlier --in-place run on {src} was stopped half way (backup {path}); "
                    f"restore the project first with: torch_gpu2mlu --undo -i {src}")
        run = preview([src], settings, progress=progress, base=src)
        run.input = run.output = str(src.resolve())
        changed = [(f.path, *file_bytes(f)) for f in run.files if f.before is not None and f.after is not None]
        backup = _back_up(src, state_dir, run, changed)
        _replace(src, backup, changed)
        backup.commit(backup.entries, DONE)
    return run


def _back_up(src: Path, state_dir: Path, run: RunResult, changed: list) -> Backup:
    """The originals, the reports and the manifest, on disk before anything is replaced."""
    backup = Backup.create(state_dir)
    try:
        for rel, before, _ in changed:
            target = src / rel
            if target.read_bytes() != before:
                raise MigrationError(f"{target} changed while gpu2mlu was converting it; nothing was written")
            backup.save(target, rel)
        write_reports(run, backup.path)
        run.backup = str(backup.path)
        backup.commit([Entry(rel, sha256(before), sha256(after)) for rel, before, after in changed], CONVERTING)
    except BaseException:
        backup.discard()
        raise
    return backup


def _replace(src: Path, backup: Backup, changed: list) -> None:
    replaced: list[str] = []
    try:
        for rel, _, after in changed:
            target = src / rel
            write_atomically(target, after, target.stat().st_mode & 0o7777)
            replaced.append(rel)
            faults.point("write", str(target))
    except BaseException as exc:
        with signals_held():
            failed = _roll_back(src, backup, replaced)
        if failed:
            raise WriteError(f"{exc}; putting the originals back failed too ({failed}): run "
                             f"`torch_gpu2mlu --undo -i {src}` to restore the project from {backup.path}") from None
        backup.discard()
        if isinstance(exc, WriteError):
            raise WriteError(f"{exc}; every file was put back, {src} is unchanged") from None
        raise


def _roll_back(src: Path, backup: Backup, replaced: list[str]) -> str:
    """Put back the files replaced so far; the first error, or '' when all went back."""
    for rel in reversed(replaced):
        try:
            backup.restore(src, rel)
        except WriteError as exc:
            return str(exc)
    return ""
