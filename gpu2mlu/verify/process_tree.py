"""Stop a command and every process it started, so a stopped verify/run leaves nothing behind.

A signal only gpu2mlu got (SIGTERM, SIGHUP: gpu2mlu.cli.Stopped) would otherwise stop just the
direct child: `bash run.sh` dies and the training ranks it started keep running, orphaned.
The tree is read from /proc (Linux, where the emulator runs) while its processes are still
linked to their parents.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

# How long the command gets to stop itself (save, clean up) before the tree is killed.
STOP_SECONDS = 5.0


def descendants(pid: int) -> list[int]:
    """Every living process below `pid`, parents before children."""
    found: list[int] = []
    queue = [pid]
    while queue:
        parent = queue.pop(0)
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children", encoding="ascii") as f:
                    kids = [int(k) for k in f.read().split()]
            except (OSError, ValueError):
                continue
            for kid in kids:
                if kid not in found:
                    found.append(kid)
                    queue.append(kid)
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return False


def _signal(pids, signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except OSError:
            pass


def stop(proc: subprocess.Popen, signum: int | None, grace: float = STOP_SECONDS) -> None:
    """Stop `proc` and its descendants. `signum` None: Ctrl-C, which the terminal already sent
    to every process of the foreground group; otherwise the signal is passed to the whole tree.
    Whatever still runs after `grace` seconds is killed."""
    tree = [proc.pid, *descendants(proc.pid)]
    if signum is not None:
        _signal(tree, signum)
    deadline = time.monotonic() + grace
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tree += [p for p in descendants(proc.pid) if p not in tree]
            if not any(_alive(p) for p in tree):
                break
            time.sleep(0.05)
    finally:  # also on a second Ctrl-C: stop waiting politely
        tree += [p for p in descendants(proc.pid) if p not in tree]
        _signal([p for p in tree if _alive(p)], signal.SIGKILL)
        proc.wait()
