"""The output folder of a run (-o, default PROJECT_mlu): which folders may be written or replaced,
and how a finished tree takes its place.

The write set: a run writes only inside a staging folder beside the output, then swaps it in.
Nothing of the input is ever written or removed: an output that is the input, holds it, or sits
inside it and holds files of it is refused, with --force or without; --force only replaces a
folder that holds no input file.

Crash safety: the staging folder `.OUT.gpu2mlu-PID-XXXX` is locked (flock) for the life of the
run, so a later run can tell that its owner is gone (killed, machine restarted) and removes it.
The swap is done under a lock on the parent folder with signals held, so concurrent runs into
one output take turns and the output is always one run's complete tree, or absent.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from gpu2mlu import faults
from gpu2mlu.errors import MigrationError, WriteError, io_message
from gpu2mlu.locks import FolderLock, lock_folder

REPORT_JSON = "report.json"
STAGING_TAG = ".gpu2mlu-"


def made_by_gpu2mlu(folder: Path) -> bool:
    for name in (REPORT_JSON, "gpu2mlu_report.json"):
        try:
            data = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("tool") == "gpu2mlu":
            return True
    return False


def inside(path: Path, parent: Path) -> bool:
    try:
        path.relative_to(parent)
        return True
    except ValueError:
        return False


def check_input(src: Path) -> None:
    if not src.exists() and not src.is_symlink():
        raise MigrationError(f"input path does not exist: {src}")
    if not (src.is_dir() or src.is_file()):
        raise MigrationError(f"input is neither a folder nor a file: {src}")
    if not os.access(src, os.R_OK | (os.X_OK if src.is_dir() else 0)):
        raise MigrationError(f"input is not readable: {src}")


def _first_file(folder: Path) -> Optional[Path]:
    for current, _, files in os.walk(folder):
        if files:
            return Path(current) / files[0]
    return None


def check_output(src: Path, out: Path, force: bool) -> None:
    """Refuse an output folder whose replacement could lose input files (exit 2)."""
    real_src, real_out = src.resolve(), out.resolve()
    if real_out == real_src or inside(real_src, real_out):
        raise MigrationError(f"output folder {out} would contain the input {src}; choose another with -o")
    if not (out.exists() or out.is_symlink()):
        return
    if not out.is_dir() or out.is_symlink():
        raise MigrationError(f"output path exists and is not a folder: {out}")
    if made_by_gpu2mlu(out):
        return  # an earlier gpu2mlu output (never walked as input): replaced
    held = _first_file(out)
    if held is None:
        return
    if src.is_dir() and inside(real_out, real_src):
        raise MigrationError(
            f"output folder {out} is inside the input and holds its files ({held}); gpu2mlu never "
            "replaces input files, with --force or without: choose an output outside the input, "
            "or a new folder")
    if not force:
        raise MigrationError(
            f"output folder {out} already exists and was not made by gpu2mlu; "
            "use --force to replace it, or -o to choose another folder")


def _staging_pattern(out: Path) -> re.Pattern:
    return re.compile(re.escape(f".{out.name}{STAGING_TAG}") + r"\d+-\w+$")


def is_staging(path: str, out: Path) -> bool:
    """Whether `path` is a staging folder (any run's) of the output `out`: never walked as input."""
    return os.path.dirname(path) == str(out.parent) and bool(_staging_pattern(out).match(os.path.basename(path)))


def remove_abandoned(out: Path) -> list[str]:
    """Remove the staging folders of `out` whose runs are gone (their lock can be taken). Call
    with the parent folder locked."""
    removed = []
    pattern = _staging_pattern(out)
    try:
        names = os.listdir(out.parent)
    except OSError:
        return removed
    for name in names:
        path = out.parent / name
        if not pattern.match(name) or not path.is_dir() or path.is_symlink():
            continue
        try:
            lock = lock_folder(str(path), wait=False)
        except OSError:
            continue
        if lock is None:
            continue  # a live run: leave it alone
        with lock:
            shutil.rmtree(path, ignore_errors=True)
        removed.append(str(path))
    return removed


class Staging:
    """A locked folder beside the output that the run fills, then swaps in with swap_in()."""

    def __init__(self, out: Path) -> None:
        """Remove the staging folders of runs that are gone, and make this run's, locked. Both
        under the parent's lock: another run's clean-up must never see a staging folder between
        its creation and its lock."""
        self.out = out
        parent = out.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            with lock_folder(str(parent)):
                remove_abandoned(out)
                path = tempfile.mkdtemp(prefix=f".{out.name}{STAGING_TAG}{os.getpid()}-", dir=parent)
                self.lock: Optional[FolderLock] = lock_folder(path)
        except OSError as exc:
            raise WriteError(f"cannot create the output folder {out}: "
                             f"{io_message(exc, str(parent if not parent.is_dir() else out))}") from None
        self.path = Path(path)

    def output_path(self, path: str) -> str:
        """A path in the staging folder as the user will find it in the output."""
        try:
            return str(self.out / Path(path).relative_to(self.path))
        except ValueError:
            return path

    def swap_in(self, src: Path, force: bool, mode: int) -> None:
        """Replace the output by the staging folder: under the parent's lock, signals held."""
        os.chmod(self.path, mode)
        with lock_folder(str(self.out.parent)), signals_held():
            check_output(src, self.out, force)  # again: another run may have made it meanwhile
            old = old_lock = None
            if self.out.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{self.out.name}{STAGING_TAG}{os.getpid()}-",
                                            dir=self.out.parent))
                old_lock = lock_folder(str(old))  # so that no other run removes it under us
                os.replace(self.out, old / "replaced")
            faults.point("swap", str(self.out))
            os.replace(self.path, self.out)
        self.release()
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
            old_lock.release()

    def release(self) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        self.release()


_HELD = tuple(s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP")) if s)


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP for a few renames that must not be split; they are
    delivered right after."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
