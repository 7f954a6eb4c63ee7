"""Advisory locks on folders (flock on a directory descriptor): released by the kernel when the
holder ends in any way, SIGKILL included, so a lock that can be taken proves its owner is gone."""
from __future__ import annotations

import os
from typing import Optional

try:
    import fcntl
except ImportError:  # Windows: no flock; runs are then not protected against each other
    fcntl = None


class FolderLock:
    """An exclusive lock on a folder, held until release() or the process ends."""

    def __init__(self, fd: Optional[int]) -> None:
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> "FolderLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def lock_folder(path: str, wait: bool = True) -> Optional[FolderLock]:
    """Lock `path` (a folder). With wait=False, None when another process holds it. Where the
    file system cannot lock (some network mounts), an unlocked FolderLock is returned."""
    if fcntl is None:
        return FolderLock(None)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    except OSError:  # no lock support here: proceed unprotected rather than refuse to run
        return FolderLock(fd)
    return FolderLock(fd)
