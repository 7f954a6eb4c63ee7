"""Checkpoints saved on CUDA load onto the MLU: storages tagged "cuda:N" are restored to "mlu:N"
(a torch.serialization package ahead of torch's own CUDA one, which would need CUDA)."""

from __future__ import annotations

import sys

import torch

from . import sites, table

PRIORITY = 11  # after "cpu" (10), before "cuda" (20)


def _no_tag(obj):
    return None  # saving is torch's business: mlu storages are tagged by the privateuse1 package


def install() -> None:
    devices = table.data().get("devices", {})

    def restore(obj, location: str):
        head, sep, tail = location.partition(":")
        new = devices.get(head)
        if new is None:
            return None
        site = sites.site(sys._getframe(1))
        if not sites.note(site, "mapped", f"checkpoint location {head!r}",
                          f"checkpoint location {new!r}", "device-literal"):
            return None
        return torch.serialization.default_restore_location(obj, new + sep + tail)

    torch.serialization.register_package(PRIORITY, _no_tag, restore)
