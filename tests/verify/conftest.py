"""Shared fixtures: one emulator build per session, and a runner for child scripts."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def require_torch():
    """Skip without torch, except in CI (GPU2MLU_REQUIRE_TORCH=1), where it must fail."""
    if os.environ.get("GPU2MLU_REQUIRE_TORCH") == "1":
        import torch  # noqa: F401  (an ImportError here fails the test loudly)

        return torch
    return pytest.importorskip("torch")


@dataclasses.dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    summary: object


class Emulator:
    def __init__(self, lib: Path, api: Path):
        self.lib, self.api = lib, api

    def run(self, tmp_path: Path, code: str, *args: str, devices: int = 2,
            env: dict | None = None, timeout: float = 180) -> Run:
        """Run `code` as tmp_path/main.py the way `gpu2mlu verify` runs a command."""
        from gpu2mlu.verify import events, runner

        script = tmp_path / "main.py"
        script.write_text(textwrap.dedent(code), encoding="utf-8")
        log = tmp_path / "events.jsonl"
        log.write_text("")
        base = dict(os.environ)
        base.update(env or {})
        config = runner.VerifyConfig(("python",), devices=devices, env=base)
        child = runner.child_env(config, self.lib, self.api, log)
        proc = subprocess.run([sys.executable, str(script), *args], cwd=tmp_path, env=child,
                              capture_output=True, text=True, timeout=timeout)
        return Run(proc.returncode, proc.stdout, proc.stderr, events.read(log))


@pytest.fixture(scope="session")
def emulator(tmp_path_factory) -> Emulator:
    require_torch()
    from gpu2mlu.verify import api_surface, build

    lib, _ = build.ensure_built()
    api = tmp_path_factory.mktemp("api") / "mlu_api.json"
    api_surface.write(api)
    return Emulator(lib, api)


def pythonpath_with_repo() -> dict:
    path = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": str(REPO) + (os.pathsep + path if path else "")}
