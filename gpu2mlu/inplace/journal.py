"""The backup of an --in-place run: the originals and a manifest, complete and flushed to disk
before the first file of the project is replaced.

Originals are hard links where the file system allows (no copy, no space: the replaced file is a
new inode, so the link keeps the original bytes, mode and times), copies otherwise. Restoring
renames the original back, which needs no free space, so a full disk never blocks --undo.
The manifest's state says whether the run finished ("done") or may have stopped half way
("converting"); either way each listed file is original, converted, or edited since.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from gpu2mlu import faults
from gpu2mlu.errors import WriteError, io_message

STATE_DIR = ".gpu2mlu"
MANIFEST = "manifest.json"
CONVERTING, DONE = "converting", "done"
_NAME = re.compile(r"backup-(\d{8}-\d{6})(?:-(\d+))?$")
_GITIGNORE = "# gpu2mlu --in-place backups; `gpu2mlu --undo` restores from them\n*\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha(path: Path) -> Optional[str]:
    """SHA-256 of a file's bytes, None when it is missing."""
    try:
        return sha256(path.read_bytes())
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise WriteError(f"cannot read {io_message(exc, str(path))}") from None


def temp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.gpu2mlu-tmp")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a folder; the data files are synced
        pass
    finally:
        os.close(fd)


def write_atomically(target: Path, data: bytes, mode: int) -> None:
    """Replace `target` by `data` in one rename; on failure `target` is as it was."""
    tmp = temp_name(target)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise WriteError(f"cannot write {io_message(exc, str(target))}") from None


@dataclass
class Entry:
    file: str  # POSIX path relative to the project
    before: str  # SHA-256 of the original
    after: str  # SHA-256 of the converted file


class Backup:
    """One run's backup folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.state = ""
        self.entries: list[Entry] = []

    @property
    def manifest(self) -> Path:
        return self.path / MANIFEST

    def original(self, rel: str) -> Path:
        return self.path / "files" / rel

    # -- writing a new backup ------------------------------------------------------------------

    @classmethod
    def create(cls, state_dir: Path) -> "Backup":
        try:
            ignore = state_dir / ".gitignore"
            if not ignore.exists():
                ignore.write_text(_GITIGNORE, encoding="utf-8")
            stamp = time.strftime("%Y%m%d-%H%M%S")
            path, n = state_dir / f"backup-{stamp}", 1
            while path.exists():
                n += 1
                path = state_dir / f"backup-{stamp}-{n}"
            path.mkdir()
        except OSError as exc:
            raise WriteError(f"cannot create the backup in {io_message(exc, str(state_dir))}") from None
        return cls(path)

    def save(self, target: Path, rel: str) -> None:
        """Keep the original of `target` (a link when possible, else a synced copy)."""
        saved = self.original(rel)
        try:
            saved.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(target, saved)
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP):
                    raise
                shutil.copy2(target, saved)
                with open(saved, "rb+") as f:
                    os.fsync(f.fileno())
            faults.point("backup", str(saved))
        except OSError as exc:
            raise WriteError(f"cannot back up {target}: {io_message(exc, str(saved))}") from None

    def commit(self, entries: list[Entry], state: str) -> None:
        """Write the manifest in one rename and flush it and the backup's folders to disk."""
        self.entries, self.state = entries, state
        data = json.dumps({"tool": "gpu2mlu", "state": state,
                           "files": [vars(e) for e in entries]}, indent=1) + "\n"
        tmp = self.path / (MANIFEST + ".tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.manifest)
            for folder in {self.original(e.file).parent for e in entries} | {self.path}:
                if folder.is_dir():
                    _fsync(folder)
        except OSError as exc:
            raise WriteError(f"cannot write the backup manifest {io_message(exc, str(self.manifest))}") from None

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    # -- reading and restoring -----------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> "Backup":
        backup = cls(path)
        try:
            data = json.loads(backup.manifest.read_text(encoding="utf-8"))
            backup.state = data.get("state", DONE)  # manifests of gpu2mlu 0.2 have no state
            backup.entries = [Entry(e["file"], e["before"], e["after"]) for e in data["files"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise WriteError(f"cannot read the backup manifest {backup.manifest}: {exc}") from None
        return backup

    def restore(self, root: Path, rel: str) -> None:
        """Put the original of `rel` back (a rename: no free space needed)."""
        saved, target = self.original(rel), root / rel
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            faults.point("restore", str(target))
            try:
                os.replace(saved, target)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                write_atomically(target, saved.read_bytes(), saved.stat().st_mode & 0o7777)
        except OSError as exc:
            raise WriteError(f"cannot restore {io_message(exc, str(target))} "
                             f"(the original is still in {saved})") from None


def _order(path: Path) -> tuple:
    match = _NAME.match(path.name)
    return (match.group(1), int(match.group(2) or 1)) if match else ("", 0)


def backups(state_dir: Path) -> list[Path]:
    """Backups with a manifest, oldest first."""
    if not state_dir.is_dir():
        return []
    found = [p for p in state_dir.iterdir() if _NAME.match(p.name) and (p / MANIFEST).is_file()]
    return sorted(found, key=_order)


def remove_unfinished(state_dir: Path) -> None:
    """Backups without a manifest: their run stopped before it replaced any file. Call only while
    holding the state folder's lock (no live run is writing one)."""
    if state_dir.is_dir():
        for p in state_dir.iterdir():
            if _NAME.match(p.name) and p.is_dir() and not (p / MANIFEST).is_file():
                shutil.rmtree(p, ignore_errors=True)


def lock_state(root: Path):
    """Lock PROJECT/.gpu2mlu for an --in-place or --undo run: one at a time per project."""
    from gpu2mlu.errors import MigrationError
    from gpu2mlu.locks import lock_folder
    state_dir = root / STATE_DIR
    try:
        state_dir.mkdir(exist_ok=True)
        lock = lock_folder(str(state_dir), wait=False)
    except OSError as exc:
        raise WriteError(f"cannot create {io_message(exc, str(state_dir))}") from None
    if lock is None:
        raise MigrationError(f"another gpu2mlu --in-place or --undo is running on {root}; "
                             "wait for it to finish")
    return lock
