"""Shared by the corpus drivers: which tree to import, the device, and the loss lines.

A driver runs as ``python DRIVER.py ROOT DEVICE``: ROOT is the unpacked wheel (the original, for
the CPU reference run, and under ``gpu2mlu run`` with DEVICE ``cuda``) or its converted copy (under
``gpu2mlu verify``, DEVICE ``mlu``). The driver
never edits the code it imports; it only builds a tiny model, makes synthetic data and trains.
Each step prints ``step N loss HEX`` with ``float.hex`` of the loss, so the test compares bits.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path


def setup(package: str, *, skip_init: bool = False):
    """Put ROOT first on sys.path and return (ROOT, DEVICE) from argv.

    With skip_init, PACKAGE is registered as a bare package over ROOT/PACKAGE, so its
    submodules import without running PACKAGE/__init__.py (which, in vit-pytorch and
    denoising-diffusion-pytorch, imports torchvision for modules the drivers do not use).
    """
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} ROOT DEVICE")
    root, device = Path(sys.argv[1]).resolve(), sys.argv[2]
    sys.path.insert(0, str(root))
    if skip_init:
        pkg = types.ModuleType(package)
        pkg.__path__ = [str(root / package)]
        pkg.__file__ = str(root / package / "__init__.py")
        sys.modules[package] = pkg
    return root, device


def device_type(device: str) -> str:
    """The type tensors end up on: under `gpu2mlu run` a "cuda" device is mapped to the MLU (a
    comparison with "cuda" in the driver's own code would see "mlu", as the run mode documents)."""
    return "mlu" if device == "cuda" else device


def check_imported_from(module, root: Path) -> None:
    """Fail unless MODULE came from ROOT (not from an installed copy of the package)."""
    path = Path(module.__file__).resolve()
    if root not in path.parents:
        sys.exit(f"{module.__name__} was imported from {path}, not from {root}")


def report(step: int, loss) -> None:
    print(f"step {step} loss {float(loss.detach().cpu().item()).hex()}", flush=True)
