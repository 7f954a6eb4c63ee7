"""End to end: the shipped sample, unconverted, under `gpu2mlu run`; and `verify --compare`
between it and its conversion."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import pythonpath_with_repo
from test_distributed import free_port
from test_e2e_imagenet import SAMPLE, STEP, converted  # noqa: F401  (the converted sample)


def _gpu2mlu(cwd, *args, env=None):
    full = {**os.environ, **pythonpath_with_repo(), **(env or {})}
    full.pop("MLU_VISIBLE_DEVICES", None)  # both emulated MLUs
    return subprocess.run([sys.executable, "-m", "gpu2mlu", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture
def original(tmp_path):
    return shutil.copytree(SAMPLE, tmp_path / "imagenet")


def test_unconverted_launch_script_runs_ddp_over_cncl_under_run(emulator, original, tmp_path):
    """run.sh as shipped (nvidia-smi, CUDA_VISIBLE_DEVICES, --device cuda --dist-backend nccl,
    torch.cuda.*, .cuda(), torch.cuda.amp) trains 2 ranks on 2 emulated MLUs."""
    log, report = tmp_path / "calls.json", tmp_path / "report"
    env = {"EPOCHS": "1"}
    r = _gpu2mlu(original, "run", "--devices", "2", "--log", str(log), "--report", str(report),
                 "--", "bash", "run.sh", "--steps-per-epoch", "2", "-b", "8", "--train-samples",
                 "32", "--val-samples", "16", "-j", "0", "--dist-url",
                 f"tcp://127.0.0.1:{free_port()}", env=env)
    assert r.returncode == 0, r.stderr
    assert len(STEP.findall(r.stdout)) == 2 and "nvidia-smi -> cnmon (gpu2mlu stand-in)" in r.stdout
    assert "devices used: mlu:0, mlu:1" in r.stderr and "problems: none" in r.stderr
    calls = json.loads(log.read_text())["calls"]
    sites = {(c["api"], c["where"]) for c in calls}
    for expected in [
        ("torch.cuda.is_available", "main.py:119"),
        ("torch.cuda.set_device", "main.py:177"),
        ("Module.cuda", "main.py:178"),
        ("torch.distributed.init_process_group(backend='nccl')", "main.py:161"),
        ("torch.cuda.nccl.version", "main.py:197"),
        ("Tensor.cuda", "main.py:301"),
        ("torch.cuda.amp.autocast", "main.py:333"),
        ("nvidia-smi", "run.sh"),
    ]:
        assert expected in sites, (expected, sorted(sites))
    by_site = {(c["api"], c["where"]): c for c in calls}
    assert by_site[("Tensor.cuda", "main.py:301")]["count"] == 4  # 2 steps x 2 ranks
    assert by_site[("torch.cuda.set_device", "main.py:177")]["to"] == "torch.mlu.set_device"
    env_calls = {c["api"]: c for c in calls if c["status"] in ("env", "unsupported")}
    assert env_calls["env CUDA_VISIBLE_DEVICES"]["to"] == "MLU_VISIBLE_DEVICES"
    assert env_calls["env NCCL_DEBUG"]["finding"] == "GM402"
    assert all(c["package"] is None for c in calls)  # the sample uses no CUDA-calling library
    md = (report / "report.md").read_text()
    assert md.startswith("# Cambricon PyTorch Model Migration Report")
    assert '| main.py:119 | change "torch.cuda.is_available" to "torch.mlu.is_available (at run time)" |' in md
    assert (report / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_compare_agrees_on_the_sample(emulator, original, converted):  # noqa: F811
    mine = shutil.copytree(converted, original.parent / "imagenet_mlu")
    r = _gpu2mlu(mine, "verify", "--compare", str(original), "--", sys.executable, "main.py",
                 "--epochs", "1", "--steps-per-epoch", "3", "-b", "16", "--train-samples", "64",
                 "--val-samples", "16", "--seed", "0", "--gpu", "0", "-j", "0")
    assert r.returncode == 0, r.stderr[-3000:]
    assert len(STEP.findall(r.stdout)) == 6  # 3 steps, each run
    assert "the runs agree" in r.stderr
    assert "torch.cuda.is_available -> torch.mlu.is_available at main.py:119" in r.stderr
