"""End to end: the imagenet sample, converted, trains under `gpu2mlu verify`.

Its printed losses must equal the original script's on CPU with the same
seed; a 2-process DDP run over cncl must run to the end.  The conversion uses
the real converter (`python -m gpu2mlu -i ... -o ...`).
"""

import os
import re
import subprocess
import sys

import pytest

from conftest import REPO, pythonpath_with_repo, require_torch
from test_distributed import free_port

SAMPLE = REPO / "examples" / "imagenet"
ARGS = ["--epochs", "1", "--steps-per-epoch", "3", "-b", "16", "--train-samples", "64",
        "--val-samples", "16", "--seed", "0"]
STEP = re.compile(r"^step (\d+) loss (\S+)$", re.M)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    require_torch()
    if not (SAMPLE / "main.py").exists():
        pytest.fail("examples/imagenet/main.py is missing")
    try:
        from gpu2mlu.cli import main  # noqa: F401
    except ImportError as exc:
        pytest.fail(f"the converter is not importable yet: {exc}")
    out = tmp_path_factory.mktemp("imagenet_mlu")
    subprocess.run([sys.executable, "-m", "gpu2mlu", "-i", str(SAMPLE), "-o", str(out)],
                   cwd=REPO, env={**os.environ, **pythonpath_with_repo()}, check=True,
                   capture_output=True, text=True)
    return out


def _verify(cwd, *args):
    return subprocess.run(
        [sys.executable, "-m", "gpu2mlu.verify", "--", sys.executable, "main.py", *args],
        cwd=cwd, env={**os.environ, **pythonpath_with_repo()}, capture_output=True, text=True,
        timeout=600,
    )


def test_converted_sample_losses_equal_cpu_run(emulator, converted):
    cpu = subprocess.run([sys.executable, "main.py", *ARGS, "--device", "cpu", "-j", "0"],
                         cwd=SAMPLE, capture_output=True, text=True, timeout=600)
    assert cpu.returncode == 0, cpu.stderr
    # -j 0: with workers, the pin-memory thread competes for OpenMP threads and
    # reductions may split differently (last-bit noise on CPU as well).
    mlu = _verify(converted, *ARGS, "--gpu", "0", "-j", "0")
    assert mlu.returncode == 0, mlu.stderr
    expected = STEP.findall(cpu.stdout)
    assert len(expected) == 3
    assert STEP.findall(mlu.stdout) == expected
    assert "problems: none" in mlu.stderr and "devices used: mlu:0" in mlu.stderr


def test_converted_sample_ddp_over_cncl(emulator, converted):
    r = _verify(converted, *ARGS, "--multiprocessing-distributed", "-j", "2",
                "--dist-url", f"tcp://127.0.0.1:{free_port()}")
    assert r.returncode == 0, r.stderr
    assert len(STEP.findall(r.stdout)) == 3
    assert "devices used: mlu:0, mlu:1" in r.stderr and "problems: none" in r.stderr


def test_converted_launch_script_runs_without_hand_edits(emulator, converted, tmp_path):
    """run.sh (variables, nvidia-smi, --device/--dist-backend) and configs/train.yaml, as converted,
    launch 2-process DDP over cncl. The `cnmon` it calls is verify's stand-in for the emulated MLUs."""
    env = {**os.environ, **pythonpath_with_repo(), "EPOCHS": "1"}
    env.pop("MLU_VISIBLE_DEVICES", None)
    r = subprocess.run(
        [sys.executable, "-m", "gpu2mlu.verify", "--", "bash", "run.sh", "--steps-per-epoch", "2", "-b", "8",
         "--train-samples", "32", "--val-samples", "16", "-j", "0", "--dist-url", f"tcp://127.0.0.1:{free_port()}"],
        cwd=converted, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "cnmon (gpu2mlu stand-in)" in r.stdout and "MLU 1: gpu2mlu emulated MLU" in r.stdout
    assert len(STEP.findall(r.stdout)) == 2
    assert "devices used: mlu:0, mlu:1" in r.stderr and "problems: none" in r.stderr
