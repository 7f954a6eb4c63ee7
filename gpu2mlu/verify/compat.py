"""Checks made before a verify or run: torch present and supported; a real torch_mlu found
(verify refuses it, run maps onto it)."""

from __future__ import annotations

import importlib.util

# The C++ backend uses PrivateUse1 hook and autocast APIs that appeared in
# torch 2.6; only the versions in TESTED were exercised end to end.
MIN_TORCH = (2, 6)
TESTED = ("2.13",)


class SetupError(RuntimeError):
    """verify cannot run here; the message says why and what to do."""


def torch_version(emulator: bool = True) -> tuple[str, bool]:
    """Return (installed torch version, whether it is a tested one).

    MIN_TORCH is the emulator's: over a real torch_mlu, its own torch is the one to use."""
    if importlib.util.find_spec("torch") is None:
        raise SetupError("gpu2mlu verify needs PyTorch: pip install 'gpu2mlu[verify]'")
    import torch

    version = torch.__version__
    major, minor = (int(x) for x in version.split("+")[0].split(".")[:2])
    if emulator and (major, minor) < MIN_TORCH:
        raise SetupError(
            f"gpu2mlu verify needs torch >= {MIN_TORCH[0]}.{MIN_TORCH[1]} "
            f"(tested: {', '.join(TESTED)}); found {version}"
        )
    return version, f"{major}.{minor}" in TESTED


def real_torch_mlu() -> str | None:
    """Where this Python's real torch_mlu is (found, not imported), or None."""
    spec = importlib.util.find_spec("torch_mlu")
    if spec is None or spec.origin in (None, "namespace"):
        # a folder without __init__.py (say, a __pycache__ left where an old gpu2mlu kept its
        # stand-in) is a namespace package, not Cambricon's torch_mlu
        return None
    return next(iter(spec.submodule_search_locations or ()), None) or spec.origin


def refuse_real_torch_mlu(where: str | None = None) -> None:
    """gpu2mlu verify (and the converted side of --compare) emulates an MLU only where none is."""
    where = where or real_torch_mlu()
    if where is not None:
        raise SetupError(
            f"a real torch_mlu is installed ({where}); gpu2mlu verify only emulates an MLU where "
            "none exists. Run the converted project directly on this machine (or the unconverted "
            "one with `gpu2mlu run`, which maps it onto this torch_mlu)."
        )


def refuse_compare_over_real_torch_mlu() -> None:
    where = real_torch_mlu()
    if where is not None:
        raise SetupError(
            f"--compare needs the emulated MLU, and a real torch_mlu is installed ({where}): the "
            "converted side of a comparison runs under `gpu2mlu verify`, which emulates an MLU "
            "only where none exists. Here, run the converted project directly and the original "
            "one with `gpu2mlu run` (it maps onto this torch_mlu), and compare their outputs."
        )
