"""`gpu2mlu verify` as a command: exit codes, summary, setup refusals."""

import os
import subprocess
import sys

import pytest

from conftest import REPO, pythonpath_with_repo, require_torch


def _verify(tmp_path, *args, env=None):
    full_env = {**os.environ, **pythonpath_with_repo(), **(env or {})}
    return subprocess.run([sys.executable, "-m", "gpu2mlu.verify", *args], cwd=tmp_path,
                          env=full_env, capture_output=True, text=True, timeout=300)


def test_returns_the_command_exit_code_and_prints_a_summary(emulator, tmp_path):
    (tmp_path / "prog.py").write_text(
        "import torch, torch_mlu, sys\n"
        "x = torch.empty(1000, device='mlu:1')\n"
        "torch.mlu.synchronize()\n"
        "sys.exit(3)\n"
    )
    log = tmp_path / "events.jsonl"
    r = _verify(tmp_path, "--devices", "2", "--log", str(log), "--", sys.executable, "prog.py")
    assert r.returncode == 3, r.stderr
    assert "MLU APIs used: torch.mlu.synchronize x1" in r.stderr
    assert "devices used: mlu:1" in r.stderr
    assert "peak emulated memory: mlu:1 3.9 KiB" in r.stderr
    assert log.exists() and '"kind": "process"' in log.read_text()


def test_summary_lists_problems_and_strict_fails(emulator, tmp_path):
    (tmp_path / "prog.py").write_text(
        "import torch, torch_mlu\n"
        "try:\n"
        "    torch.cuda.current_device()\n"
        "except RuntimeError:\n"
        "    pass\n"
    )
    r = _verify(tmp_path, "--strict", "--", sys.executable, "prog.py")
    assert r.returncode == 1
    assert "residual-cuda: torch.cuda.current_device at prog.py:3" in r.stderr


def test_refuses_where_real_torch_mlu_is_installed(emulator, tmp_path):
    fake = tmp_path / "site"
    (fake / "torch_mlu").mkdir(parents=True)
    (fake / "torch_mlu" / "__init__.py").write_text("")
    env = {"PYTHONPATH": os.pathsep.join([str(REPO), str(fake)])}
    r = _verify(tmp_path, "--", sys.executable, "-c", "print('ran')", env=env)
    assert r.returncode == 2 and "ran" not in r.stdout
    assert "a real torch_mlu is installed" in r.stderr


def test_standin_refuses_to_shadow_real_torch_mlu(emulator, tmp_path):
    fake = tmp_path / "site"
    (fake / "torch_mlu").mkdir(parents=True)
    (fake / "torch_mlu" / "__init__.py").write_text("")
    r = emulator.run(tmp_path, "import torch\n", env={"PYTHONPATH": str(fake)})
    assert r.returncode != 0 and "a real torch_mlu is installed" in r.stderr


def test_missing_command_is_a_usage_error(capsys):
    from gpu2mlu.verify.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--devices", "2"])
    assert exc.value.code == 2
    assert "no COMMAND given" in capsys.readouterr().err


def test_no_compiler_gives_a_clear_message(monkeypatch, tmp_path):
    require_torch()
    from gpu2mlu.verify import build

    monkeypatch.setenv("GPU2MLU_VERIFY_CACHE", str(tmp_path))
    monkeypatch.setenv("CXX", "no-such-compiler-gpu2mlu")
    with pytest.raises(build.BuildError, match="needs a C\\+\\+ compiler"):
        build.ensure_built()


def test_importing_verify_needs_no_torch():
    code = ("import sys; sys.modules['torch'] = None\n"
            "import gpu2mlu.verify, gpu2mlu.verify.cli, gpu2mlu.verify.events\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
