"""Make torch.mlu & co. expose exactly the API real torch_mlu has.

The list of real names comes from the converter's rule tables (written by the
runner to the JSON file named by GPU2MLU_VERIFY_API), so the converter and the
verifier share one source of truth.  Only the project's own code is gated;
torch internals that probe the device module see everything we implement.
"""

from __future__ import annotations

import collections
import json
import os
import types

from . import _events

API_ENV = "GPU2MLU_VERIFY_API"

_allowed: frozenset[str] | None = None
_line = "?"
used: collections.Counter = collections.Counter()


class UnsupportedMluApiError(AttributeError):
    """The project used an MLU API that real torch_mlu does not provide."""


def load() -> None:
    global _allowed, _line
    path = os.environ.get(API_ENV)
    if not path:
        return
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    _allowed = frozenset(data["names"])
    _line = data.get("line", "?")


def exists_on_real(full: str) -> bool:
    return _allowed is None or full in _allowed


def _refuse(full: str, loc, exists_on_real: bool):
    at = _events.where(loc)
    if exists_on_real:
        _events.record("not-emulated", api=full, where=at)
        raise UnsupportedMluApiError(
            f"gpu2mlu verify: {full} (called at {at}) exists in torch_mlu but the MLU "
            "emulator does not implement it, so this path cannot be verified on CPU."
        )
    _events.record("unsupported-api", api=full, where=at)
    raise UnsupportedMluApiError(
        f"gpu2mlu verify: {full} (called at {at}) does not exist in torch_mlu "
        f"(PyTorch {_line} line). Real MLU code cannot call it; see the gpu2mlu report "
        "for the MLU equivalent or remove the call."
    )


class GatedModule(types.ModuleType):
    """A module whose public attributes are checked against the real API list."""

    def __getattribute__(self, name: str):
        get = super().__getattribute__
        if name.startswith("_"):
            return get(name)
        loc = _events.immediate_caller(1)
        if loc is None:  # torch or library code: behave like a plain module
            return get(name)
        full = f"{get('_gate_prefix')}.{name}"
        if _allowed is not None and full not in _allowed:
            _refuse(full, loc, exists_on_real=False)
        try:
            value = get(name)
        except AttributeError:
            _refuse(full, loc, exists_on_real=True)
        if not isinstance(value, types.ModuleType):
            used[full] += 1
        return value


def gate(module: types.ModuleType, prefix: str) -> None:
    module._gate_prefix = prefix
    module.__class__ = GatedModule
