"""Find and load the emulator's C++ library; refuse to run in the wrong place."""

from __future__ import annotations

import importlib.machinery
import os
import sys

LIB_ENV = "GPU2MLU_EMU_LIB"
_STANDIN_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class EmulatorError(ImportError):
    """The emulator cannot start; the message says why and what to do."""


def refuse_if_real_torch_mlu() -> None:
    """Never shadow Cambricon's real torch_mlu: stop if one is importable behind our folder."""
    entries = [os.path.abspath(p or ".") for p in sys.path]
    if _STANDIN_ROOT not in entries:
        return  # loaded by path, not found first on sys.path: nothing is shadowed
    others = [p for p, a in zip(sys.path, entries) if a != _STANDIN_ROOT]
    spec = importlib.machinery.PathFinder.find_spec("torch_mlu", others)
    if spec is not None and spec.origin not in (None, "namespace"):  # a namespace folder is not it
        where = spec.origin or (list(spec.submodule_search_locations or []) or ["?"])[0]
        raise EmulatorError(
            f"a real torch_mlu is installed ({where}); gpu2mlu emulates an MLU only on "
            "machines without one. Run the converted project directly on this machine, or the "
            "unconverted one with `gpu2mlu run` started by this Python (it then maps onto the "
            "real torch_mlu)."
        )


def load() -> str:
    """Load the prebuilt library named by the runner, or build it now."""
    import torch

    path = os.environ.get(LIB_ENV)
    if not path:
        try:
            from gpu2mlu.verify.build import ensure_built
        except ImportError as exc:
            raise EmulatorError(
                "the MLU emulator library is unknown: run the program under "
                "`gpu2mlu verify -- COMMAND` (it builds the library and sets "
                f"{LIB_ENV})."
            ) from exc
        path = str(ensure_built()[0])
    if not os.path.exists(path):
        raise EmulatorError(f"{LIB_ENV}={path} does not exist; rerun `gpu2mlu verify`.")
    torch.ops.load_library(path)
    return path
