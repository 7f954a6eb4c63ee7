"""How every Python process of a verify run started and ended, for the summary.

sitecustomize imports this in every interpreter of the run, before the program and without
importing torch, so a crash before the first MLU call is seen too.  It writes to the same
JSON-lines log as the stand-in (GPU2MLU_VERIFY_EVENTS):

- "process-start" for every new interpreter and every fork (pid, ppid, argv);
- "process-exit" at a normal interpreter exit or an os._exit(code);
- "uncaught-exception": type, message and the innermost frame in the project's code, from
  sys.excepthook and threading.excepthook (and, via the stand-in, from mp.spawn children,
  whose exceptions torch catches before any hook sees them);
- faulthandler writes a fatal signal's name and the Python stack to a per-process file in
  GPU2MLU_VERIFY_FAULTS, which the runner reads.

A start without an exit means the process was killed (SIGKILL, SIGTERM, ...).
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import sysconfig
import threading

EVENTS_ENV = "GPU2MLU_VERIFY_EVENTS"
FAULTS_ENV = "GPU2MLU_VERIFY_FAULTS"

_HERE = os.path.dirname(os.path.abspath(__file__))
_prefixes: tuple[str, ...] | None = None
_prefixes_know_torch = False
_fault_file = None
_fault_path: str | None = None
_exited = False
_exit_hooks: list = []  # run before "process-exit", however the process leaves


def at_exit(hook) -> None:
    """Run `hook()` at a normal exit or an os._exit, before the "process-exit" event."""
    _exit_hooks.append(hook)


def record(kind: str, **fields) -> None:
    path = os.environ.get(EVENTS_ENV)
    if not path:
        return
    fields = {"kind": kind, "pid": os.getpid(), **fields}
    line = json.dumps(fields, sort_keys=True, default=str) + "\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    except OSError:
        pass  # a missing log must never break the user's program


def _library_prefixes() -> tuple[str, ...]:
    global _prefixes, _prefixes_know_torch
    knows_torch = "torch" in sys.modules
    if _prefixes is None or knows_torch != _prefixes_know_torch:  # torch may come after the first call
        _prefixes_know_torch = knows_torch
        paths = {_HERE}
        for key in ("stdlib", "platstdlib", "purelib", "platlib"):
            p = sysconfig.get_paths().get(key)
            if p:
                paths.update((p, os.path.realpath(p)))
        torch = sys.modules.get("torch")
        if torch is not None and getattr(torch, "__file__", None):
            paths.add(os.path.dirname(torch.__file__))
        _prefixes = tuple(p.rstrip(os.sep) + os.sep for p in paths)
    return _prefixes


def is_user_file(filename: str) -> bool:
    """True for the project's own code; False for torch, the stdlib, site-packages, gpu2mlu's
    stand-in. Also used by torch_mlu._events."""
    if filename.startswith("<"):
        return filename in ("<string>", "<stdin>") or filename.startswith("<ipython")
    return not os.path.abspath(filename).startswith(_library_prefixes())


def where(path: str, line: int) -> str:
    try:
        rel = os.path.relpath(path)
        path = rel if not rel.startswith("..") else path
    except ValueError:
        pass
    return f"{path}:{line}"


def innermost_user_frame(tb) -> tuple[str, int] | None:
    found = None
    while tb is not None:
        code = tb.tb_frame.f_code
        if is_user_file(code.co_filename):
            found = (code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def record_exception(value: BaseException, thread: str | None = None) -> None:
    """One "uncaught-exception" event, unless the stand-in already recorded this failure."""
    if getattr(value, "gpu2mlu_recorded", False):
        return  # a tripwire's own error: recorded where it was raised, with its advice
    loc = innermost_user_frame(value.__traceback__)
    message = str(value)
    record("uncaught-exception", api=f"{type(value).__module__}.{type(value).__qualname__}"
           .removeprefix("builtins."), message=message[:2000],
           where=where(*loc) if loc else "<unknown location>", argv=sys.argv, thread=thread)


_previous_excepthook = sys.excepthook
_previous_thread_hook = threading.excepthook


def _excepthook(etype, value, tb):
    try:
        if value is not None and value.__traceback__ is None:
            value = value.with_traceback(tb)
        record_exception(value)
    finally:
        _previous_excepthook(etype, value, tb)


def _thread_excepthook(args):
    try:
        if args.exc_value is not None and args.exc_type is not SystemExit:
            record_exception(args.exc_value, thread=getattr(args.thread, "name", None))
    finally:
        _previous_thread_hook(args)


def _open_fault_file() -> None:
    """Point faulthandler at this process's own file (SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL)."""
    global _fault_file, _fault_path
    folder = os.environ.get(FAULTS_ENV)
    if not folder:
        return
    try:
        import faulthandler

        os.makedirs(folder, exist_ok=True)
        _fault_path = os.path.join(folder, f"{os.getpid()}.txt")
        _fault_file = open(_fault_path, "w")  # noqa: SIM115 (kept open for the process's life)
        faulthandler.enable(file=_fault_file, all_threads=False)
    except (OSError, ValueError, RuntimeError):
        _fault_file = _fault_path = None


def _close_fault_file() -> None:
    global _fault_file
    if _fault_file is None:
        return
    try:
        import faulthandler

        faulthandler.disable()
        _fault_file.close()
        os.remove(_fault_path)  # a normal exit: nothing to report
    except OSError:
        pass
    _fault_file = None


def _on_exit(code=None) -> None:
    global _exited
    if _exited:
        return
    _exited = True
    for hook in _exit_hooks:
        try:
            hook()
        except Exception:
            pass  # a report must never change how the program ends
    record("process-exit", code=code)
    _close_fault_file()


_real_os_exit = os._exit


def _os_exit(code):
    # multiprocessing's fork children and some launchers leave through os._exit, skipping atexit.
    _on_exit(code)
    _real_os_exit(code)


def _after_fork_in_child() -> None:
    global _exited, _fault_file
    _exited = False
    _fault_file = None  # the parent's file object: leave it to the parent
    record("process-start", ppid=os.getppid(), argv=sys.argv, forked=True)
    _open_fault_file()


def install() -> None:
    if not os.environ.get(EVENTS_ENV):
        return
    record("process-start", ppid=os.getppid(), argv=sys.argv, forked=False)
    _open_fault_file()
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
    atexit.register(_on_exit)
    os._exit = _os_exit
    os.register_at_fork(after_in_child=_after_fork_in_child)
