"""torch.compile on the emulator: inductor has no code generator for "mlu".

The default backend is swapped for "aot_eager", which traces and runs the
graph through the emulator's kernels, so compiled programs still verify.
"""

from __future__ import annotations

import functools

import torch


def install() -> None:
    original = torch.compile

    @functools.wraps(original)
    def compile(model=None, *args, backend="inductor", **kwargs):
        if backend == "inductor":
            backend = "aot_eager"
            kwargs.pop("mode", None)  # inductor-only tuning modes
            kwargs.pop("options", None)
        return original(model, *args, backend=backend, **kwargs)

    torch.compile = compile
