"""Build the emulator's C++ extension against the installed torch, once.

The library is cached under a directory keyed by the torch version and a hash
of every source file in csrc/, so a torch upgrade or an emulator change triggers a rebuild and
nothing else does.  A file lock serialises concurrent builders (several ranks,
parallel test workers); whoever comes second finds the finished library.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import time
from pathlib import Path

CSRC = Path(__file__).with_name("csrc")
LIB_NAME = "mlu_emu"


def sources() -> list[Path]:
    """Every translation unit of the emulator, in a stable order."""
    return sorted(CSRC.glob("*.cpp"))


def _source_digest() -> str:
    # Headers count too: a change to emu.h must rebuild every .cpp.
    h = hashlib.sha256()
    for path in sorted([*CSRC.glob("*.cpp"), *CSRC.glob("*.h")]):
        h.update(path.name.encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:12]


class BuildError(RuntimeError):
    """The extension could not be built; the message says what to install."""


def cache_root() -> Path:
    env = os.environ.get("GPU2MLU_VERIFY_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gpu2mlu" / "verify"


def build_dir() -> Path:
    import torch

    return cache_root() / f"torch-{torch.__version__}-{_source_digest()}"


def library_path() -> Path:
    return build_dir() / f"{LIB_NAME}.so"


def _check_toolchain() -> None:
    cxx = os.environ.get("CXX", "c++")
    if shutil.which(cxx) is None:
        raise BuildError(
            f"gpu2mlu verify needs a C++ compiler to build its MLU emulator once "
            f"(looked for {cxx!r}). Install g++ (e.g. `apt-get install g++`) or set CXX."
        )
    if shutil.which("ninja") is None:
        raise BuildError(
            "gpu2mlu verify needs ninja to build its MLU emulator once: "
            "`pip install ninja` (or `pip install 'gpu2mlu[verify]'`)."
        )


def ensure_built(verbose: bool = False) -> tuple[Path, float]:
    """Return (path of the built library, seconds spent building; 0 if cached)."""
    lib = library_path()
    if lib.exists():
        return lib, 0.0
    _check_toolchain()
    out = build_dir()
    out.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with open(out / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if lib.exists():  # another process built it while we waited
                return lib, 0.0
            _compile(out, verbose)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return lib, time.monotonic() - start


def _compile(out: Path, verbose: bool) -> None:
    from torch.utils import cpp_extension

    tmp = out / "build"
    tmp.mkdir(exist_ok=True)
    try:
        built = cpp_extension.load(
            name=LIB_NAME,
            sources=[str(p) for p in sources()],
            extra_include_paths=[str(CSRC)],
            build_directory=str(tmp.resolve()),
            extra_cflags=["-O2"],
            is_python_module=False,
            is_standalone=False,
            verbose=verbose,
        )
    except Exception as exc:  # compiler output is in the exception text
        raise BuildError(f"building the MLU emulator failed:\n{exc}") from exc
    src = Path(built) if isinstance(built, (str, os.PathLike)) else tmp / f"{LIB_NAME}.so"
    if not src.exists():
        src = tmp / f"{LIB_NAME}.so"
    # Publish atomically so a concurrent reader never loads a half-written file.
    staging = out / f".{LIB_NAME}.{os.getpid()}.so"
    shutil.copyfile(src, staging)
    os.replace(staging, library_path())
