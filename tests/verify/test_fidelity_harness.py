"""The measuring instrument itself: comparison rules and crash isolation."""

from __future__ import annotations

import math
import os
import sys

import fidelity
from conftest import require_torch


def test_compare_is_bitwise_only_for_identical_bits():
    torch = require_torch()

    a = torch.tensor([1.0, float("nan"), -0.0, float("inf")])
    same = fidelity.compare_tensors(a, _on_fake_mlu(torch, a.clone())).as_dict()
    assert same["status"] == "bitwise"
    signed = fidelity.compare_tensors(a, _on_fake_mlu(torch, torch.tensor(
        [1.0, float("nan"), 0.0, float("inf")]))).as_dict()
    assert signed["status"] == "close" and signed["max_abs"] == 0.0  # the sign of zero counts
    ulp = fidelity.compare_tensors(a, _on_fake_mlu(torch, torch.tensor(
        [1.0 + 2.0 ** -23, float("nan"), -0.0, float("inf")]))).as_dict()
    assert ulp["status"] == "close" and 0 < ulp["max_abs"] < 1e-6
    far = fidelity.compare_tensors(a, _on_fake_mlu(torch, torch.tensor(
        [2.0, float("nan"), -0.0, float("inf")]))).as_dict()
    assert far["status"] == "differ" and far["max_abs"] == 1.0
    nan = fidelity.compare_tensors(a, _on_fake_mlu(torch, torch.tensor(
        [1.0, 0.0, -0.0, float("inf")]))).as_dict()
    assert nan["status"] == "differ" and nan["max_abs"] == "inf"
    wrong = fidelity.compare_tensors(a, _on_fake_mlu(torch, a.double())).as_dict()
    assert wrong["status"] == "mismatch"
    on_cpu = fidelity.compare_tensors(a, a.clone()).as_dict()
    assert on_cpu["status"] == "mismatch" and "expected mlu" in on_cpu["detail"]


def _on_fake_mlu(torch, t):
    """A CPU tensor that says it is on mlu: compare() needs no emulator to be tested."""

    class View:
        def __init__(self, t):
            self._t = t
            self.device = type("D", (), {"type": "mlu"})()

        def __getattr__(self, name):
            return getattr(self._t, name)

        def detach(self):
            return self

        def cpu(self):
            return self._t

    return View(t)


def test_compare_walks_structures():
    assert fidelity.compare((1, [2.0, None], {"a": "x"}),
                            (1, [2.0, None], {"a": "x"})).status == "bitwise"
    assert fidelity.compare([1.0, 2.0], [1.0]).status == "mismatch"
    assert fidelity.compare({"a": 1}, {"b": 1}).status == "mismatch"
    assert fidelity.compare(float("nan"), float("nan")).status == "bitwise"
    assert fidelity.compare(True, False).status == "mismatch"


def test_table_tolerances():
    spec = {"tolerance": 1e-6}
    assert fidelity.within({"status": "close", "max_abs": 5e-7}, spec)[0]
    assert not fidelity.within({"status": "close", "max_abs": 2e-6}, spec)[0]
    assert not fidelity.within({"status": "close", "max_abs": 1e-9}, {"tolerance": "bitwise"})[0]
    assert not fidelity.within({"status": "crash", "error": "SIGSEGV"}, spec)[0]
    assert fidelity.within({"status": "bitwise"}, {"tolerance": "bitwise"})[0]
    assert not fidelity.within({"status": "differ", "max_abs": "inf"}, spec)[0]  # as in JSON
    assert not fidelity.within({"status": "differ", "max_abs": "inf"}, {"tolerance": "bitwise"})[0]


CHILD = r"""
import json, os, signal, sys, time
sys.path.insert(0, sys.argv[1])
import fidelity
items = json.load(open(sys.argv[sys.argv.index("--items") + 1]))
progress = fidelity.Progress(sys.argv[sys.argv.index("--progress") + 1])
for it in items:
    progress.start(it)
    if it == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    if it == "hang":
        time.sleep(60)
    progress.done(it, {"status": "bitwise", "pid": os.getpid()})
"""


def test_run_isolated_survives_a_crash_and_a_hang(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    here = os.path.dirname(fidelity.__file__)
    res = fidelity.run_isolated([sys.executable, str(script), here],
                                ["a", "segv", "b", "hang", "c"], dict(os.environ), tmp_path,
                                timeout=60, item_timeout=2)
    assert res["a"]["status"] == res["b"]["status"] == res["c"]["status"] == "bitwise"
    assert res["segv"]["status"] == "crash" and "SIGSEGV" in res["segv"]["error"]
    assert res["hang"]["status"] == "timeout"
    assert len({res["a"]["pid"], res["b"]["pid"], res["c"]["pid"]}) == 3
