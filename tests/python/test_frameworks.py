"""Framework settings and implementation switches at Python call sites (issue 11, items 7 and 8).

A framework's own option keeps the value that framework accepts on MLU and is reported; the
generic device and backend rules still apply everywhere else in the same statement.
"""
import pytest

from tests.python.helpers import assert_converts, assert_unchanged, convert, dedent, finding_ids


@pytest.mark.parametrize("before, after", [
    pytest.param("""
        import torch
        import lightning as L
        trainer = L.Trainer(accelerator="cuda", devices=2)
        x = torch.zeros(1, device="cuda")
        """, """
        import torch
        import torch_mlu
        import lightning as L
        trainer = L.Trainer(accelerator="cuda", devices=2)
        x = torch.zeros(1, device="mlu")
        """, id="lightning-accelerator-kept-device-converted"),
    pytest.param("""
        import torch
        import deepspeed
        cfg = {"train_batch_size": 8, "optimizer": {"type": "OneBitAdam", "params": {"comm_backend_name": "nccl"}}}
        deepspeed.init_distributed(dist_backend="nccl")
        """, """
        import torch
        import torch_mlu
        import deepspeed
        cfg = {"train_batch_size": 8, "optimizer": {"type": "OneBitAdam", "params": {"comm_backend_name": "nccl"}}}
        deepspeed.init_distributed(dist_backend="cncl")
        """, id="deepspeed-dict-kept-init-converted"),
    pytest.param("""
        import torch
        from deepspeed.runtime.fp16.onebit.adam import OnebitAdam
        opt = OnebitAdam(params, comm_backend_name='nccl', cuda_aware=False)
        """, """
        import torch
        import torch_mlu
        from deepspeed.runtime.fp16.onebit.adam import OnebitAdam
        opt = OnebitAdam(params, comm_backend_name='nccl', cuda_aware=False)
        """, id="deepspeed-keyword"),
    pytest.param("""
        import os
        import torch
        os.environ["DS_ACCELERATOR"] = "cuda"
        """, """
        import os
        import torch
        import torch_mlu
        os.environ["DS_ACCELERATOR"] = "mlu"
        """, id="ds-accelerator-value"),
    pytest.param("""
        import torch
        from transformers import Trainer
        Trainer(model, args).train()
        model.to(accelerator="cuda")
        """, """
        import torch
        import torch_mlu
        from transformers import Trainer
        Trainer(model, args).train()
        model.to(accelerator="mlu")
        """, id="accelerator-keyword-of-another-call"),
    pytest.param("""
        import torch
        y = bias_act(x, impl='cuda')
        """, """
        import torch
        import torch_mlu
        y = bias_act(x, impl='mlu')
        """, id="impl-switch-converts-like-every-device-value"),
])
def test_framework_call_sites(before, after):
    assert_converts(before, after)


@pytest.mark.parametrize("src, expected", [
    pytest.param("""
        import pytorch_lightning as pl
        trainer = pl.Trainer(
            accelerator="gpu",
            strategy="ddp",
        )
        """, [("GM702", 3), ("GM703", 4)], id="lightning"),
    pytest.param("""
        from lightning.fabric import Fabric
        fabric = Fabric(accelerator="cuda", strategy="deepspeed_stage_2")
        """, [("GM702", 2), ("GM704", 2)], id="fabric"),
    pytest.param("""
        import lightning as L
        L.Trainer(accelerator="cpu", strategy="auto")
        """, [], id="lightning-accepted-values"),
    pytest.param("""
        import lightning as L
        L.Trainer(accelerator=ACC, strategy=DDPStrategy(process_group_backend="cncl"))
        """, [], id="lightning-dynamic-and-objects"),
    pytest.param("""
        import torch
        cfg = dict(comm_backend_name="mpi")
        other = {"comm_backend_name": backend}
        """, [("GM701", 2)], id="deepspeed-dict-call"),
    pytest.param("""
        import torch
        y = upfirdn2d(x, k, impl="cuda")
        z = bias_act(x, impl="ref")
        """, [("GM230", 2)], id="impl-keyword"),
    pytest.param("""
        import argparse, torch
        p = argparse.ArgumentParser()
        p.add_argument("--impl", choices=["cuda", "torch"], default="cuda")
        p.add_argument("--kernel", default="cuda")
        p.add_argument("--attn", choices=["naive", "cuda"])
        p.add_argument("--device", choices=["cpu", "cuda"])
        p.add_argument("--impl-name", choices=["fast", "slow"])
        """, [("GM230", 3), ("GM230", 4), ("GM230", 5)], id="argparse-switches"),
])
def test_framework_findings(src, expected):
    assert finding_ids(src) == expected


@pytest.mark.parametrize("src", [
    pytest.param("""
        import lightning as L
        trainer = L.Trainer(accelerator="gpu", devices=[0, 1], strategy="ddp")
        """, id="lightning-settings"),
    pytest.param("""
        import deepspeed
        ds_config = {"optimizer": {"params": {"comm_backend_name": "nccl"}}}
        """, id="deepspeed-onebit"),
])
def test_framework_settings_left_as_written(src):
    assert_unchanged(src)


def test_lightning_finding_says_what_to_do():
    (finding,) = convert(dedent('import lightning as L\nL.Trainer(accelerator="cuda")\n')).findings
    assert "accelerator=cuda" in finding.message and "process_group_backend='cncl'" in finding.suggestion
