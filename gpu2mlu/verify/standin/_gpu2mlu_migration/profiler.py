"""Profiler calls whose `use_cuda=True` selects the device (torch_api.toml [[call]]): the MLU's.

Activities, `use_device` and sort keys are argument values (runtime.toml); `use_cuda` is a flag
whose meaning depends on the profiler, so it is code: torch.autograd.profiler.profile takes
use_device='mlu', torch.profiler.profile the MLU activity.
"""

from __future__ import annotations

import functools
import inspect
import sys

from . import sites, table

RULE = "profiler"


def _wrap(cls, name: str) -> None:
    original = cls.__init__
    takes_use_device = "use_device" in inspect.unwrap(original).__code__.co_varnames

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        if kwargs.get("use_cuda"):
            kwargs = dict(kwargs)
            del kwargs["use_cuda"]
            if takes_use_device:
                kwargs.setdefault("use_device", "mlu")
                to = f"{name}(use_device='mlu')"
            else:
                import torch

                activity = torch.profiler.ProfilerActivity
                mlu = getattr(activity, "MLU", activity.PrivateUse1)
                chosen = list(kwargs.get("activities") or [activity.CPU])
                kwargs["activities"] = chosen + ([mlu] if mlu not in chosen else [])
                to = f"{name}(activities=[..., ProfilerActivity.MLU])"
            sites.note(sites.site(sys._getframe(1)), "mapped", f"{name}(use_cuda=True)", to, RULE)
        original(self, *args, **kwargs)

    cls.__init__ = __init__


def install() -> None:
    seen = set()
    for name in table.data().get("profiler_calls", []):
        cls = table.resolve(name)
        if isinstance(cls, type) and cls not in seen:
            seen.add(cls)
            _wrap(cls, name)
