"""Run a command with an emulated MLU (or, for `gpu2mlu run`, a real torch_mlu) and collect
what its processes report.

The command runs in a subprocess whose PYTHONPATH starts with the stand-in folders, so every
Python process it starts - spawned ranks, torchrun workers, DataLoader workers - gets them:
the emulator's torch_mlu (EMULATOR; left out where a real torch_mlu is installed) and the common
folder (STANDIN: sitecustomize, the process log, the run layer).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import api_surface, build, calllog, capture, compat, events, mapping, monitors, process_tree

STANDIN = Path(__file__).with_name("standin")
EMULATOR = STANDIN / "_gpu2mlu_emulator"
EMULATOR_BACKEND = "gpu2mlu emulator"
MODE_ENV = "GPU2MLU_MODE"
MODES = ("verify", "run")


@dataclasses.dataclass(frozen=True)
class VerifyConfig:
    command: tuple[str, ...]
    devices: int = 2
    log_file: Path | None = None
    line: str = api_surface.DEFAULT_LINE
    cwd: Path | None = None
    env: dict[str, str] | None = None  # base environment (default: os.environ)
    # "verify": a converted project, CUDA tripwires armed; "run": an unconverted one, CUDA mapped
    # to the emulated MLU at run time (`gpu2mlu run`, the stand-in's runtime-mapping layer)
    mode: str = "verify"
    # Pipe the command's stdout/stderr into VerifyResult (verify --compare); run(echo=) shows them.
    capture: bool = False


@dataclasses.dataclass
class VerifyResult:
    exit_code: int
    summary: events.Summary
    build_seconds: float
    torch_version: str
    torch_tested: bool
    calls: list[calllog.Call] = dataclasses.field(default_factory=list)  # run mode's call log
    stdout: str = ""  # only with VerifyConfig.capture
    stderr: str = ""
    # what the MLU was: EMULATOR_BACKEND, or "torch_mlu VERSION (real: PATH)" (run mode only)
    backend: str = EMULATOR_BACKEND

    @property
    def emulated(self) -> bool:
        return self.backend == EMULATOR_BACKEND


def real_torch_mlu(config: VerifyConfig) -> str | None:
    """The real torch_mlu `config` runs over (where it is), or None for the emulator.

    verify refuses one (compat.SetupError): it checks converted code against torch_mlu's API
    on a machine without MLUs. run maps onto it."""
    where = compat.real_torch_mlu()
    if where is not None and config.mode != "run":
        compat.refuse_real_torch_mlu(where)
    return where


def child_env(config: VerifyConfig, lib: Path | None, api_file: Path | None, log: Path,
              monitors_bin: Path | None = None, run_map: Path | None = None) -> dict[str, str]:
    """The command's environment; lib None: over a real torch_mlu (no emulator at all)."""
    env = dict(os.environ if config.env is None else config.env)
    if monitors_bin is not None:  # the monitor stand-ins (emulated devices, nvidia-smi -> cnmon)
        env["PATH"] = str(monitors_bin) + os.pathsep + env.get("PATH", os.defpath)
    folders = [str(STANDIN)] if lib is None else [str(EMULATOR), str(STANDIN)]
    if env.get("PYTHONPATH"):
        folders.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(folders)
    if lib is not None:
        env["GPU2MLU_EMU_LIB"] = str(lib)
        env["MLU_EMU_DEVICE_COUNT"] = str(config.devices)
    if api_file is not None:
        env["GPU2MLU_VERIFY_API"] = str(api_file)
    env["GPU2MLU_VERIFY_EVENTS"] = str(log)
    env["GPU2MLU_VERIFY_FAULTS"] = str(events.faults_dir(log))
    env[MODE_ENV] = config.mode
    if config.mode == "run":
        # CUDA_VISIBLE_DEVICES stays: the run layer maps it to MLU_VISIBLE_DEVICES in every process.
        if run_map is not None:
            env[mapping.MAP_ENV] = str(run_map)
        env[mapping.ROOT_ENV] = str(Path(config.cwd or os.getcwd()).resolve())
    else:
        env["CUDA_VISIBLE_DEVICES"] = ""  # a CUDA build of torch must not find a GPU either
    return env


def _write_run_map(config: VerifyConfig, folder: Path) -> Path:
    """The mapping table of `gpu2mlu run`, with the project's [tool.gpu2mlu.run] settings."""
    from gpu2mlu.settings import SettingsError

    path = folder / "run_map.json"
    try:
        absent = mapping.project_cuda_absent(Path(config.cwd or os.getcwd()))
    except SettingsError as exc:
        raise compat.SetupError(str(exc)) from None
    mapping.write(path, config.line, absent)
    return path


@contextlib.contextmanager
def _scratch():
    """A temporary folder for one run. A process that outlived the command (past events.read's
    grace) may still append its exit line while the folder is removed: that must not fail the run."""
    path = tempfile.mkdtemp(prefix="gpu2mlu-verify-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _call(command: list[str], env: dict[str, str], cwd) -> int:
    proc = subprocess.Popen(command, env=env, cwd=cwd)
    try:
        return proc.wait()
    except BaseException as exc:  # Ctrl-C, SIGTERM (gpu2mlu.cli.Stopped): stop the whole command
        process_tree.stop(proc, getattr(exc, "signum", None))
        raise


def run(config: VerifyConfig, echo: capture.Echo | None = None) -> VerifyResult:
    """Raises compat.SetupError / build.BuildError when verify cannot start.

    With config.capture, echo(stream, data) gets the command's output as it arrives."""
    if config.mode not in MODES:
        raise compat.SetupError(f"unknown mode {config.mode!r}")
    if config.devices < 1:
        raise compat.SetupError("--devices must be at least 1")
    real = real_torch_mlu(config)
    version, tested = compat.torch_version(emulator=real is None)
    lib, seconds = build.ensure_built() if real is None else (None, 0.0)
    with _scratch() as tmp:
        api_file = None
        if real is None:  # the emulated torch_mlu's API surface; a real one has its own
            api_file = Path(tmp) / "mlu_api.json"
            api_surface.write(api_file, config.line)
        log = config.log_file or Path(tmp) / "events.jsonl"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("", encoding="utf-8")
        run_map = _write_run_map(config, Path(tmp)) if config.mode == "run" else None
        bin_dir = monitors.install(Path(tmp), config.mode, emulated=real is None)
        env = child_env(config, lib, api_file, log, bin_dir, run_map)
        out = err = b""
        try:
            if config.capture:
                code, out, err = capture.call(list(config.command), env, config.cwd, echo)
            else:
                code = _call(list(config.command), env, config.cwd)
        except FileNotFoundError:
            raise compat.SetupError(f"command not found: {config.command[0]}") from None
        summary = events.read(log)
        calls = calllog.fold(summary.records) if config.mode == "run" else []
        shutil.rmtree(events.faults_dir(log), ignore_errors=True)
    failed = events.exit_problem(code, config.command)
    if failed is not None:
        summary.problems.append(failed)
    return VerifyResult(code, summary, seconds, version, tested, calls,
                        out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                        EMULATOR_BACKEND if real is None else _real_backend(summary, real))


def _real_backend(summary: events.Summary, where: str) -> str:
    """The version the processes reported importing, else the installed distribution's."""
    version = summary.torch_mlu_version
    if version is None:  # no process imported torch
        try:
            version = importlib.metadata.version("torch_mlu")
        except importlib.metadata.PackageNotFoundError:
            version = "(version unknown)"
    return f"torch_mlu {version} (real: {where})"
