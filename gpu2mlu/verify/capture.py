"""Run a command with its stdout and stderr piped: kept for `verify --compare`, and passed on.

Each stream is drained by its own thread, so a chatty stderr never blocks stdout; every chunk
goes to `echo(stream, data)` (1 = stdout, 2 = stderr) as it arrives, so the caller can show the
run live.  An echo that fails (the reader of our stdout went away) stops echoing, never reading.
"""

from __future__ import annotations

import os
import subprocess
import threading
from typing import Callable

from . import process_tree

Echo = Callable[[int, bytes], None]

# A daemon the command left behind may keep a pipe open; after the command has exited, its
# output is read for this long and then left.
DRAIN_SECONDS = 2.0


def call(command: list[str], env: dict[str, str], cwd, echo: Echo | None = None
         ) -> tuple[int, bytes, bytes]:
    """(exit code, stdout, stderr). Raises FileNotFoundError like subprocess.call."""
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdin=None,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunks: dict[int, list[bytes]] = {1: [], 2: []}
    readers = [threading.Thread(target=_drain, args=(pipe, n, chunks[n], echo), daemon=True)
               for n, pipe in ((1, proc.stdout), (2, proc.stderr))]
    for r in readers:
        r.start()
    try:
        code = proc.wait()
    except BaseException as exc:  # Ctrl-C, SIGTERM: do not leave the command running
        process_tree.stop(proc, getattr(exc, "signum", None))
        raise
    finally:
        for r in readers:
            r.join(DRAIN_SECONDS)
    return code, b"".join(chunks[1]), b"".join(chunks[2])


def _drain(pipe, stream: int, into: list[bytes], echo: Echo | None) -> None:
    fd = pipe.fileno()
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        into.append(data)
        if echo is not None:
            try:
                echo(stream, data)
            except (OSError, ValueError):
                echo = None
    pipe.close()
