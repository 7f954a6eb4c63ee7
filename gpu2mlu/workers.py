"""Worker processes for large trees that never outlive the run.

Each worker asks the kernel to kill it when its parent dies (Linux PR_SET_PDEATHSIG) and also
watches its parent itself (other systems, or a parent thread that ended), so a run killed with
SIGKILL leaves no process behind holding the caller's stdout pipe open. Workers ignore Ctrl-C
(the parent decides) and never print: Python warnings about the project's code are not theirs to show.
"""
from __future__ import annotations

import os
import signal
import threading
import time
import warnings
from typing import Callable, Iterable, Iterator

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)
    threading.Thread(target=watch, name="gpu2mlu-parent-watch", daemon=True).start()


def _init_worker(parent: int) -> None:
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warnings.simplefilter("ignore")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def run_in_workers(func: Callable, jobs: Iterable, processes: int) -> Iterator:
    """func(job) for every job in `processes` worker processes, results as they finish. However
    the caller stops (an exception, Ctrl-C, SIGTERM turned into an exception), the workers are
    terminated before this returns; if the caller is killed outright, they end on their own."""
    import multiprocessing
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        context = multiprocessing.get_context()
    pool = context.Pool(processes, initializer=_init_worker, initargs=(os.getpid(),))
    try:
        yield from pool.imap_unordered(func, jobs)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
