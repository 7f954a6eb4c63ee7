"""`gpu2mlu run` over a real torch_mlu: it only maps (no emulator), verify and --compare refuse,
and Cambricon's own gpu_migration imported under run is blocked and reported.

The "real" torch_mlu is a fake made here: an installed-looking package whose __init__ loads the
emulator's stand-in by path (the machine has no MLU) and reports its own version.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import REPO

FAKE_VERSION = "9.9.9+fake"
THEIRS = "THEIR GPU_MIGRATION RAN"

FAKE_INIT = '''\
"""A fake real torch_mlu: the emulator's stand-in loaded by path, as an installed package."""
import importlib.util
import os
import sys

_PKG = {pkg!r}
if {common!r} not in sys.path:  # the stand-in's helpers (on PYTHONPATH already under gpu2mlu)
    sys.path.append({common!r})
_spec = importlib.util.spec_from_file_location(
    "torch_mlu", os.path.join(_PKG, "__init__.py"), submodule_search_locations=[_PKG])
_module = importlib.util.module_from_spec(_spec)
sys.modules["torch_mlu"] = _module
_spec.loader.exec_module(_module)
_module.__version__ = {version!r}
import torch_mlu.utils  # noqa: E402  (so torch_mlu.utils.gpu_migration is this fake's)

torch_mlu.utils.__path__.append(os.path.join(os.path.dirname(__file__), "utils"))
'''


@pytest.fixture(scope="module")
def fake(tmp_path_factory, emulator):
    """(site folder holding the fake torch_mlu, environment for gpu2mlu and the command)."""
    from gpu2mlu.verify import runner

    site = tmp_path_factory.mktemp("real") / "site"
    pkg = site / "torch_mlu"
    (pkg / "utils").mkdir(parents=True)
    stand_in = runner.EMULATOR / "torch_mlu"
    (pkg / "__init__.py").write_text(FAKE_INIT.format(pkg=str(stand_in), common=str(runner.STANDIN),
                                                    version=FAKE_VERSION))
    (pkg / "utils" / "gpu_migration.py").write_text(f"print({THEIRS!r})\n")
    bin_dir = site.parent / "bin"  # the machine's real cnmon
    bin_dir.mkdir()
    (bin_dir / "cnmon").write_text('#!/bin/sh\necho "real cnmon $*"\n')
    (bin_dir / "cnmon").chmod(0o755)
    env = {k: v for k, v in os.environ.items()
           if k not in ("MLU_EMU_DEVICE_COUNT", "MLU_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES")}
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(site)] + ([path] if path else []))
    env["GPU2MLU_EMU_LIB"] = str(emulator.lib)  # the fake's "hardware"; gpu2mlu must not set it
    env["GPU2MLU_VERIFY_CACHE"] = str(site.parent / "no-build")  # a build would land here
    env["PATH"] = str(bin_dir) + os.pathsep + env["PATH"]
    return site, env


def _gpu2mlu(cwd: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gpu2mlu", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def _script(folder: Path, code: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.py").write_text(textwrap.dedent(code), encoding="utf-8")


def test_fake_is_a_working_torch_mlu_on_its_own(fake, tmp_path):
    """The control: without gpu2mlu the fake imports, reports its version and runs its
    gpu_migration (so the blocking below is gpu2mlu's doing)."""
    site, env = fake
    code = ("import torch, torch_mlu, torch_mlu.utils.gpu_migration\n"
            "print(torch_mlu.__version__, torch.zeros(1, device='mlu').device)\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    assert THEIRS in r.stdout and f"{FAKE_VERSION} mlu:0" in r.stdout


def test_run_maps_an_unconverted_script_onto_the_real_torch_mlu(fake, tmp_path):
    site, env = fake
    _script(tmp_path, """\
        import os, subprocess, sys
        import torch
        import torch_mlu

        x = torch.ones(2, device='cuda')
        y = torch.zeros(2).cuda()
        assert x.device.type == 'mlu' and y.device.type == 'mlu' and y.is_cuda
        assert torch.cuda.is_available() and torch_mlu.__version__ == %r
        # no emulator from gpu2mlu: its folder, library and device count are not set
        assert not any('_gpu2mlu_emulator' in p for p in sys.path), sys.path
        assert 'MLU_EMU_DEVICE_COUNT' not in os.environ and 'GPU2MLU_VERIFY_API' not in os.environ
        print('devices', torch.cuda.device_count())
        subprocess.run(['nvidia-smi', '-L'], check=True)
        """ % FAKE_VERSION)
    log = tmp_path / "calls.json"
    r = _gpu2mlu(tmp_path, env, "run", "--devices", "3", "--log", str(log), "--",
                 sys.executable, "main.py")
    assert r.returncode == 0, r.stderr
    assert "devices 2" in r.stdout  # the fake's own count: --devices 3 was not passed on
    assert "real cnmon -L" in r.stdout  # nvidia-smi runs the machine's cnmon
    assert "--devices is ignored: a real torch_mlu is installed" in r.stderr
    assert f"({site / 'torch_mlu'})" in r.stderr
    assert f"backend: torch_mlu {FAKE_VERSION} (real: {site / 'torch_mlu'})" in r.stderr
    assert "torch.ones(device='cuda') -> torch.ones(device='mlu') at main.py:5" in r.stderr
    assert "Tensor.cuda -> Tensor.mlu at main.py:6" in r.stderr
    assert "peak emulated memory" not in r.stderr and "problems: none" in r.stderr
    assert "built the MLU emulator" not in r.stderr
    assert not (site.parent / "no-build").exists()
    calls = {(c["api"], c["where"]) for c in json.loads(log.read_text())["calls"]}
    assert ("torch.cuda.is_available", "main.py:8") in calls
    assert "nvidia-smi" in {api for api, _ in calls}


def test_gpu_migration_imported_under_run_is_blocked_and_reported(fake, tmp_path):
    site, env = fake
    _script(tmp_path, """\
        import torch

        import torch_mlu.utils.gpu_migration
        print(torch.zeros(1, device='cuda').device)
        """)
    log = tmp_path / "calls.json"
    r = _gpu2mlu(tmp_path, env, "run", "--strict", "--log", str(log), "--",
                 sys.executable, "main.py")
    assert THEIRS not in r.stdout and "mlu:0" in r.stdout
    assert r.returncode == 1, r.stderr  # --strict: a problem was recorded
    assert "--devices is ignored" not in r.stderr  # not given, not warned about
    assert "double-migration: torch_mlu.utils.gpu_migration at main.py:3" in r.stderr
    assert "Drop this import under gpu2mlu run" in r.stderr
    [problem] = json.loads(log.read_text())["problems"]
    assert problem["kind"] == "double-migration" and problem["where"] == "main.py:3"


def test_verify_refuses_a_real_torch_mlu(fake, tmp_path):
    site, env = fake
    r = _gpu2mlu(tmp_path, env, "verify", "--", sys.executable, "-c", "print('ran')")
    assert r.returncode == 2 and "ran" not in r.stdout
    assert f"a real torch_mlu is installed ({site / 'torch_mlu'})" in r.stderr
    assert "gpu2mlu run" in r.stderr  # what to use instead


def test_compare_refuses_before_running_either_side(fake, tmp_path):
    site, env = fake
    original = tmp_path / "original"
    _script(original, "print('ran')\n")
    _script(tmp_path / "converted", "print('ran')\n")
    r = _gpu2mlu(tmp_path / "converted", env, "verify", "--compare", str(original), "--",
                 sys.executable, "main.py")
    assert r.returncode == 2 and "ran" not in r.stdout
    assert "--compare needs the emulated MLU" in r.stderr and str(site / "torch_mlu") in r.stderr
    assert "converted side of a comparison runs under `gpu2mlu verify`" in r.stderr


def test_gpu_migration_under_run_on_the_emulator_is_reported_too(emulator, tmp_path):
    """Where torch_mlu has no gpu_migration (the emulator), the program still runs."""
    _script(tmp_path, """\
        import torch_mlu.utils.gpu_migration
        import torch
        print(torch.ones(1, device='cuda').device)
        """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}
    r = _gpu2mlu(tmp_path, env, "run", "--", sys.executable, "main.py")
    assert r.returncode == 0, r.stderr
    assert "mlu:0" in r.stdout and "backend: gpu2mlu emulator" in r.stderr
    assert "double-migration: torch_mlu.utils.gpu_migration at main.py:1" in r.stderr
