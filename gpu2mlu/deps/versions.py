"""Just enough of PEP 440 to ask "does this pin allow torch 2.4.0?": release numbers and the
comparison operators. Pre-, post- and dev-release parts are ignored; that is close enough for
the pins people write for torch and deepspeed.
"""
from __future__ import annotations

import itertools
import re
from typing import Iterable, Optional

_RELEASE = re.compile(r"v?(\d+(?:\.\d+)*)")
_CUDA_LOCAL = re.compile(r"cu\d{2,3}(?!\d)", re.I)


def release(version: str) -> Optional[tuple[int, ...]]:
    m = _RELEASE.match(version.strip())
    return tuple(int(p) for p in m.group(1).split(".")) if m else None


def local_part(version: str) -> str:
    return version.partition("+")[2]


def is_cuda_local(version: str) -> bool:
    """`2.1.0+cu118`, `2.1.2+pt21cu118`: a local version naming a CUDA release."""
    return bool(_CUDA_LOCAL.search(local_part(version)))


def _cmp(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    for x, y in itertools.zip_longest(a, b, fillvalue=0):
        if x != y:
            return -1 if x < y else 1
    return 0


def allows(op: str, spec: str, version: tuple[int, ...]) -> bool:
    """Whether the clause `op spec` admits `version`; unknown clauses admit everything."""
    if op in ("==", "!=") and spec.endswith(".*"):
        prefix = release(spec[:-2])
        if prefix is None:
            return True
        hit = version[:len(prefix)] + (0,) * (len(prefix) - len(version)) == prefix
        return hit if op == "==" else not hit
    wanted = release(spec)
    if wanted is None:
        return True
    c = _cmp(version, wanted)
    if op in ("==", "==="):
        return c == 0
    if op == "!=":
        return c != 0
    if op == "<":
        return c < 0
    if op == "<=":
        return c <= 0
    if op == ">":
        return c > 0
    if op == ">=":
        return c >= 0
    if op == "~=":
        return c >= 0 and _cmp(version[:len(wanted) - 1], wanted[:-1]) == 0
    return True


def caps_below(clauses: Iterable[tuple[str, str]], version: tuple[int, ...]) -> bool:
    """The clauses rule out `version` and every later release (an upper bound or exact pin below
    it), rather than only asking for something newer."""
    for op, spec in clauses:
        if op in ("<", "<=") and not allows(op, spec, version):
            return True
        if op in ("==", "===", "~=") and not allows(op, spec, version):
            wanted = release(spec[:-2] if spec.endswith(".*") else spec)
            if wanted is not None and _cmp(wanted, version) < 0:
                return True
    return False


def admits(clauses: Iterable[tuple[str, str]], version: tuple[int, ...]) -> bool:
    return all(allows(op, spec, version) for op, spec in clauses)
