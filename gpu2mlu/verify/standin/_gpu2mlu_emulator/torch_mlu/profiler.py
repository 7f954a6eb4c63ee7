"""Profiler names: ProfilerActivity.MLU (the renamed PrivateUse1) and emit_cnpx."""

from __future__ import annotations

import contextlib

import torch


def install() -> None:
    activity = torch.profiler.ProfilerActivity
    if not hasattr(activity, "MLU"):
        try:
            activity.MLU = activity.PrivateUse1
        except (AttributeError, TypeError):
            pass  # newer torch creates it during the backend rename

    @contextlib.contextmanager
    def emit_cnpx(enabled: bool = True, record_shapes: bool = False):
        yield

    torch.autograd.profiler.emit_cnpx = emit_cnpx
