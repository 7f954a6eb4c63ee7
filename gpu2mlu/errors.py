"""The errors a run ends with, each with its documented exit code (see the CLI's help)."""
from __future__ import annotations

import os
from typing import Optional


class MigrationError(Exception):
    """Bad input or a refused output folder: the run did not start (exit 2)."""


class WriteError(MigrationError):
    """An I/O failure while writing (disk full, permission, a vanished folder): the run stopped and
    nothing was left half done (exit 3). The message names the path."""


def io_message(exc: OSError, path: Optional[str] = None) -> str:
    """`PATH: No space left on device`, naming the path even when the OS did not."""
    where = path or exc.filename or ""
    what = exc.strerror or (os.strerror(exc.errno) if exc.errno else str(exc))
    return f"{where}: {what}" if where else what
