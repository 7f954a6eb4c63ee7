"""The zoo: layers and small models trained 3 steps on CPU and on the emulated MLU.

Every entry must match CPU bitwise, or within the max abs diff that
tests/verify/fidelity.toml documents for it (measured, with the reason the
CPU kernel takes another path).  Entries the table marks `known_gap` are
emulator gaps being fixed elsewhere: they xfail strictly, so the day a fix
lands this test fails until the table says so.
"""

from __future__ import annotations

import sys

import pytest

import fidelity
import zoo

TABLE = fidelity.load_table()["zoo"]


@pytest.fixture(scope="module")
def zoo_results(emulator, tmp_path_factory):
    work = tmp_path_factory.mktemp("zoo")
    env = fidelity.verify_env(emulator.lib, emulator.api, work)
    return fidelity.run_isolated([sys.executable, zoo.__file__], list(zoo.ENTRIES), env, work,
                                 timeout=900, item_timeout=300)


def _params():
    for name in zoo.ENTRIES:
        spec = fidelity.expectation(TABLE, name)
        marks = ([pytest.mark.xfail(strict=True, reason=spec["known_gap"])]
                 if "known_gap" in spec else [])
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_params()))
def test_zoo_entry_matches_cpu(zoo_results, name):
    res = zoo_results[name]
    spec = fidelity.expectation(TABLE, name)
    ok, why = fidelity.within(res, spec)
    assert ok, f"{name}: {why}"
    if spec["tolerance"] != "bitwise" and not spec.get("cpu_nondeterministic"):
        assert res["status"] != "bitwise", (
            f"{name} is bitwise now: remove its tolerance from tests/verify/fidelity.toml")


def test_zoo_table_names_real_entries_with_reasons():
    for name, spec in TABLE.items():
        assert name in zoo.ENTRIES, f"fidelity.toml [zoo.{name}]: no such zoo entry"
        assert spec.get("reason") or spec.get("known_gap"), f"[zoo.{name}] needs a reason"
        if "tolerance" in spec:
            assert isinstance(spec["tolerance"], float) and spec["tolerance"] > 0, name


def test_zoo_covers_the_issue_list():
    need = ["conv1d", "conv2d", "conv3d", "conv_transpose2d", "batchnorm2d", "layernorm",
            "groupnorm", "instancenorm2d", "rmsnorm", "multihead_attention",
            "scaled_dot_product_attention", "embedding_tied", "lstm", "gru", "rnn_tanh",
            "loss_cross_entropy_label_smoothing", "loss_bce_with_logits", "loss_mse", "loss_l1",
            "loss_smooth_l1", "loss_nll", "loss_kl_div", "loss_ctc", "optim_sgd_momentum",
            "optim_sgd_nesterov", "optim_adam", "optim_adam_foreach", "optim_adam_fused",
            "optim_adamw", "optim_adamw_foreach", "optim_adamw_fused", "optim_adagrad",
            "optim_rmsprop", "amp_bfloat16_gradscaler", "checkpoint_map_location"]
    assert not [n for n in need if n not in zoo.ENTRIES]
