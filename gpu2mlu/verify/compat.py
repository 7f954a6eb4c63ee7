"""Checks made before a verify run: torch present and supported, no real torch_mlu."""

from __future__ import annotations

import importlib.util

# The C++ backend uses PrivateUse1 hook and autocast APIs that appeared in
# torch 2.6; only the versions in TESTED were exercised end to end.
MIN_TORCH = (2, 6)
TESTED = ("2.13",)


class SetupError(RuntimeError):
    """verify cannot run here; the message says why and what to do."""


def torch_version() -> tuple[str, bool]:
    """Return (installed torch version, whether it is a tested one)."""
    if importlib.util.find_spec("torch") is None:
        raise SetupError("gpu2mlu verify needs PyTorch: pip install 'gpu2mlu[verify]'")
    import torch

    version = torch.__version__
    major, minor = (int(x) for x in version.split("+")[0].split(".")[:2])
    if (major, minor) < MIN_TORCH:
        raise SetupError(
            f"gpu2mlu verify needs torch >= {MIN_TORCH[0]}.{MIN_TORCH[1]} "
            f"(tested: {', '.join(TESTED)}); found {version}"
        )
    return version, f"{major}.{minor}" in TESTED


def refuse_real_torch_mlu() -> None:
    spec = importlib.util.find_spec("torch_mlu")
    if spec is not None:
        raise SetupError(
            f"a real torch_mlu is installed ({spec.origin}); gpu2mlu verify only emulates an "
            "MLU where none exists. Run the converted project directly on this machine."
        )
