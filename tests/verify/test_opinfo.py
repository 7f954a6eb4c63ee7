"""PyTorch's OpInfo database on the emulated MLU: a fixed subset, float32, fwd + bwd.

The whole database (every op, float32/float16/bfloat16) is swept by
benchmarks/opinfo_sweep.py, which writes docs/fidelity.md.  Here a fixed subset
of 70 representative ops (tests/verify/opinfo_sweep.py SUBSET, the known
crashers among them) runs in child processes under verify: no op may crash or
error, and each must match CPU bitwise or within the max abs diff that
tests/verify/fidelity.toml [opinfo.float32] documents for it.  Ops marked
`known_gap` there xfail strictly.
"""

from __future__ import annotations

import os

import pytest

import fidelity
import opinfo_sweep

TABLE = fidelity.load_table()["opinfo"]


@pytest.fixture(scope="module")
def subset_results(emulator):
    # torch.testing._internal needs expecttest and numpy (the `test` extra); CI must have them
    for name in ("expecttest", "numpy"):
        if os.environ.get("GPU2MLU_REQUIRE_TORCH") == "1":
            __import__(name)
        else:
            pytest.importorskip(name)
    return opinfo_sweep.sweep(opinfo_sweep.SUBSET, ["float32"], lib=emulator.lib,
                              api=emulator.api, item_timeout=120, log=lambda m: None)


def _params():
    section = TABLE.get("float32", {})
    for op in opinfo_sweep.SUBSET:
        spec = fidelity.expectation(section, op)
        marks = ([pytest.mark.xfail(strict=True, reason=spec["known_gap"])]
                 if "known_gap" in spec else [])
        yield pytest.param(op, marks=marks, id=op)


@pytest.mark.parametrize("op", list(_params()))
def test_opinfo_float32_matches_cpu(subset_results, op):
    res = subset_results[opinfo_sweep.item_id(op, "float32")]
    spec = fidelity.expectation(TABLE.get("float32", {}), op)
    ok, why = fidelity.within(res, spec)
    assert ok, f"{op}: {why}"
    if spec["tolerance"] != "bitwise" and not spec.get("cpu_nondeterministic"):
        assert res["status"] != "bitwise", (
            f"{op} is bitwise now: remove its tolerance from tests/verify/fidelity.toml")


def test_opinfo_table_entries_have_reasons():
    for dtype, section in TABLE.items():
        assert dtype in opinfo_sweep.DTYPES, dtype
        for op, spec in section.items():
            assert spec.get("reason") or spec.get("known_gap"), f"[opinfo.{dtype}.{op!r}]"
            tol = spec.get("tolerance", "bitwise")
            assert tol == "bitwise" or (isinstance(tol, float) and tol > 0), (op, tol)
