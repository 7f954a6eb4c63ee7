"""Whose code is calling: torch (and this stand-in), the standard library, the project or a
dependency, and the call site the log names.

Each source file is classified once (a dict lookup per call after that):
- torch's package folder, torch_mlu's (the emulator's stand-in or a real one) and gpu2mlu's
  stand-in folder: INTERNAL (torch and torch_mlu internals stay unmapped);
- the standard library and frames without a file ("<frozen importlib._bootstrap>"): PASS (looked
  through: the frame above decides);
- a file in a site-packages/dist-packages folder, or below a sys.path entry outside the project root
  (GPU2MLU_RUN_ROOT, and the folder of the script Python runs): a dependency, whose package is
  the first path component below that folder;
- anything else: the project's own code (package None).
"""

from __future__ import annotations

import os
import sys
import sysconfig

import torch

import _gpu2mlu_run

ROOT_ENV = "GPU2MLU_RUN_ROOT"

INTERNAL, PASS, CODE = 0, 1, 2
_STANDIN = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_USER_PSEUDO_FILES = ("<string>", "<stdin>")
# The import system's own reads (hasattr for `from m import x`) are not the program's.
_IMPORT_SYSTEM = ("<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>")


def _folder(path: str) -> str:
    return os.path.realpath(path).rstrip(os.sep) + os.sep


_torch = _folder(os.path.dirname(torch.__file__))


def _torch_mlu_folders() -> tuple[str, ...]:
    # A real torch_mlu's own code is the backend, like torch's: never mapped, never a call site.
    module = sys.modules.get("torch_mlu")
    found = list(getattr(module, "__path__", None) or ())
    if getattr(module, "__file__", None):
        found.append(os.path.dirname(module.__file__))
    return tuple(_folder(p) for p in found)


_internal = (_torch, _folder(_STANDIN), *_torch_mlu_folders())
_stdlib = tuple({_folder(p) for key in ("stdlib", "platstdlib")
                 if (p := sysconfig.get_paths().get(key))})
_root = _folder(os.environ.get(ROOT_ENV) or os.getcwd())


def _main_script_folder() -> str | None:
    # `python /elsewhere/train.py` run from another folder: the script's folder is the project's too
    script = sys.argv[0] if sys.argv else ""
    return _folder(os.path.dirname(os.path.abspath(script))) if os.path.isfile(script) else None


_roots = tuple(r for r in (_root, _main_script_folder()) if r)

# filename -> (kind, package, hidden); _paths: filename -> absolute path (for the log)
_files: dict[str, tuple[int, str | None, bool]] = {}
_paths: dict[str, str] = {}
_absent: tuple[tuple[str, ...], ...] = ()


def set_cuda_absent(names) -> None:
    global _absent
    _absent = tuple(tuple(n.split(".")) for n in names)
    _files.clear()


def _installed(path: str) -> tuple[str, ...] | None:
    """The path components below a site-packages/dist-packages folder, or None."""
    parts = path.split(os.sep)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] in ("site-packages", "dist-packages"):
            return tuple(parts[i + 1:])
    return None


def _on_path_outside_project(path: str) -> tuple[str, ...] | None:
    """The path components below the sys.path entry outside the project that holds `path`."""
    best = ""
    for entry in sys.path:
        folder = _folder(entry or ".")
        if path.startswith(folder) and len(folder) > len(best):
            best = folder
    if best and not best.startswith(_roots):
        return tuple(path[len(best):].split(os.sep))
    return None


def _classify(filename: str) -> tuple[int, str | None, bool]:
    if filename in _IMPORT_SYSTEM:
        return INTERNAL, None, False
    if filename.startswith("<"):
        user = filename in _USER_PSEUDO_FILES or filename.startswith("<ipython")
        return (CODE, None, False) if user else (PASS, None, False)
    path = os.path.realpath(filename)
    if path.startswith(_internal):
        return INTERNAL, None, False
    below = _installed(path)
    if below is None:
        if path.startswith(_stdlib):
            return PASS, None, False
        below = _on_path_outside_project(path)
        if below is None:
            return CODE, None, False
    package = below[0].removesuffix(".py") if below else None
    modules = tuple(p.removesuffix(".py") for p in below)
    hidden = any(modules[:len(name)] == name for name in _absent)
    return CODE, package, hidden


def kind(filename: str) -> tuple[int, str | None, bool]:
    found = _files.get(filename)
    if found is None:
        found = _files[filename] = _classify(filename)
    return found


def caller(frame):
    """The first frame from `frame` up that is not looked through, and its (kind, package, hidden)."""
    while frame is not None:
        found = _files.get(frame.f_code.co_filename) or kind(frame.f_code.co_filename)
        if found[0] != PASS:
            return frame, found
        frame = frame.f_back
    return None, (INTERNAL, None, False)


def _abspath(filename: str) -> str:
    path = _paths.get(filename)
    if path is None:
        path = _paths[filename] = os.path.abspath(filename)
    return path


def at(frame, package, hidden):
    """The site of a frame caller() returned."""
    return _abspath(frame.f_code.co_filename), frame.f_lineno, package, hidden


def site(frame):
    """The innermost frame from `frame` up outside torch, the stand-in and the standard library:
    (file, line, package, hidden), or Nones when there is none (a torch-internal thread)."""
    while frame is not None:
        k, package, hidden = _files.get(frame.f_code.co_filename) or kind(frame.f_code.co_filename)
        if k == CODE:
            return _abspath(frame.f_code.co_filename), frame.f_lineno, package, hidden
        frame = frame.f_back
    return None, None, None, False


def note(site, status: str, api: str, to, rule: str, finding=None) -> bool:
    """Log one mapping decision at `site` (from site()). False: the site's package must see CUDA as
    absent, so the caller must not map; logged as "hidden"."""
    file, line, package, hidden = site
    if hidden:
        _gpu2mlu_run.note("hidden", api, None, rule, finding, file, line, package)
        return False
    _gpu2mlu_run.note(status, api, to, rule, finding, file, line, package)
    return True


def in_torch(frame) -> bool:
    """Whether the first frame that is not looked through is torch's own (not the stand-in's)."""
    frame, _ = caller(frame)
    return frame is not None and os.path.realpath(_abspath(frame.f_code.co_filename)).startswith(_torch)
