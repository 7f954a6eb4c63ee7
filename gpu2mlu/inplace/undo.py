"""--undo: restore the project from the latest --in-place backup.

Every file that is still as gpu2mlu wrote it is put back. A file edited since is kept as it is and
listed (its original stays in the backup, so `--undo --force` can still restore it), and the run
ends with exit 1; --force restores edited files too.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from gpu2mlu.errors import MigrationError
from gpu2mlu.inplace.journal import DONE, STATE_DIR, Backup, backups, file_sha, lock_state, remove_unfinished, temp_name


@dataclass
class UndoResult:
    backup: str
    restored: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # already identical to the original
    conflicts: list[str] = field(default_factory=list)  # edited since the conversion: kept as they are
    kept_backup: bool = False  # the backup stays, holding the originals of the conflicts


def undo(src, *, force: bool = False) -> UndoResult:
    """Restore the originals of the latest --in-place run (see the module docstring)."""
    src = Path(src)
    if not src.is_dir():
        raise MigrationError(f"--undo needs the folder that was converted in place: {src}")
    with lock_state(src):
        state_dir = src / STATE_DIR
        remove_unfinished(state_dir)
        found = backups(state_dir)
        if not found:
            raise MigrationError(f"no gpu2mlu --in-place backup in {state_dir}")
        backup = Backup.load(found[-1])
        result = UndoResult(str(backup.path))
        for entry in backup.entries:
            current = file_sha(src / entry.file)
            if current == entry.before:
                result.already.append(entry.file)
            elif current == entry.after or force:
                backup.restore(src, entry.file)
                result.restored.append(entry.file)
            else:
                result.conflicts.append(entry.file)
            _remove_leftover(src / entry.file)
        if result.conflicts:
            backup.commit([e for e in backup.entries if e.file in result.conflicts], DONE)
            result.kept_backup = True
        else:
            backup.discard()
    return result


def _remove_leftover(target: Path) -> None:
    """The temporary file of a run that was killed while writing `target`."""
    try:
        os.unlink(temp_name(target))
    except OSError:
        pass
