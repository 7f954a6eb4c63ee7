"""Tools of the fault-injection suite: tree digests, runs of the real command in a subprocess with
a fault point (gpu2mlu/faults.py), and the processes a run left behind."""
from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]

TRAIN = "import torch\nmodel = model.cuda()\nx = torch.cuda.is_available()\n"


def make_tree(root: Path, files: dict) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


def big_project(root: Path, n: int = 450) -> Path:
    """Enough files for worker processes (gpu2mlu/tree.py uses them from 400 files)."""
    files = {f"pkg{i % 9}/m{i}.py": TRAIN + f"y{i} = torch.device('cuda:{i % 4}')\n" for i in range(n)}
    files.update({"data/labels.csv": "a,b\n1,2\n", "README.md": "# demo\n", "run.sh": "CUDA_VISIBLE_DEVICES=0 python m0.py\n"})
    return make_tree(root, files)


def digest(root: Path, skip_state: bool = True) -> dict:
    """Every entry under `root`: file bytes' SHA-256 and mode, folder modes, symlink targets."""
    found = {}
    for current, dirs, files in os.walk(root):
        rel_dir = Path(current).relative_to(root)
        if skip_state:
            dirs[:] = [d for d in dirs if d != ".gpu2mlu"]
        for name in dirs + files:
            path = Path(current) / name
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                value = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                value = ("dir", stat.S_IMODE(st.st_mode))
            else:
                value = ("file", hashlib.sha256(path.read_bytes()).hexdigest(), stat.S_IMODE(st.st_mode))
            found[(rel_dir / name).as_posix()] = value
    return found


def staging_left(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if ".gpu2mlu-" in n)


def processes_with(tag: str) -> list[int]:
    """Live processes whose environment holds `tag` (a run and every worker it forked)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if tag.encode() in f.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "gpu2mlu", *map(str, args)]


def environment(tag: str = "", **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPU2MLU_FAULT")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["GPU2MLU_TEST_TAG"] = tag or uuid.uuid4().hex
    env.update(extra)
    return env


def run(*args: str, fault: str = "", cwd: Optional[Path] = None, timeout: float = 120) -> Outcome:
    """The command, to its end, with GPU2MLU_FAULT=fault (enospc/eacces actions)."""
    env = environment(**({"GPU2MLU_FAULT": fault} if fault else {}))
    started = time.monotonic()
    proc = subprocess.run(command(*args), env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return Outcome(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


def run_and_signal(*args: str, stage: str, signum: int, cwd: Optional[Path] = None) -> tuple[Outcome, str]:
    """Start the command, wait until it pauses at fault point `stage` (STAGE[@N]), send `signum`
    to the main process, and collect it. Returns the outcome and the run's tag, whose processes
    must all be gone. Output is captured through pipes, as `$(...)` or a CI log would."""
    tag = uuid.uuid4().hex
    mark = Path(tempfile.mkdtemp()) / "mark"
    # the signal comes 0.1 s after the mark; a short pause keeps the swap case (signals held) quick
    env = environment(tag, GPU2MLU_FAULT=f"{stage}:pause", GPU2MLU_FAULT_MARK=str(mark), GPU2MLU_FAULT_PAUSE="5")
    started = time.monotonic()
    proc = subprocess.Popen(command(*args), env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 120
        while not mark.exists():
            if proc.poll() is not None:
                out, err = proc.communicate()
                raise AssertionError(f"the run ended before reaching {stage}: {proc.returncode}\n{err}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the run never reached {stage}")
            time.sleep(0.02)
        time.sleep(0.1)
        os.kill(proc.pid, signum)
        out, err = proc.communicate(timeout=60)  # a worker holding the pipe would hang here
    finally:
        with contextlib.suppress(OSError):
            proc.kill()
    return Outcome(proc.returncode, out, err, time.monotonic() - started), tag


def wait_gone(tag: str, seconds: float = 10) -> list[int]:
    """The run's processes still alive after up to `seconds` (workers notice their parent's end
    within half a second)."""
    deadline = time.monotonic() + seconds
    while True:
        left = processes_with(tag)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def as_nobody(func, *args) -> int:
    """Run func(*args) in a forked child with the uid/gid of `nobody` (root only); its return value
    is the exit code."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 99
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            code = func(*args)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def can_mount_tmpfs() -> bool:
    if os.geteuid() != 0 or not Path("/proc/filesystems").is_file():
        return False
    probe = Path(tempfile.mkdtemp())
    try:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)],
                            capture_output=True).returncode == 0
        if ok:
            subprocess.run(["umount", str(probe)], check=True)
        return ok
    except OSError:
        return False
    finally:
        probe.rmdir()


@contextlib.contextmanager
def tmpfs(size: str, options: str = ""):
    """A small tmpfs of its own, for real disk-full (and read-only) conditions."""
    where = Path(tempfile.mkdtemp())
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}" + (f",{options}" if options else ""),
                    "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
        where.rmdir()


def fill(folder: Path) -> None:
    """Use up the free space of `folder`'s file system."""
    with open(folder / "filler", "wb") as f:
        block = b"\0" * 65536
        try:
            while True:
                f.write(block)
                f.flush()
        except OSError:
            pass
    with contextlib.suppress(OSError):
        with open(folder / "filler2", "wb") as f:
            for _ in range(4096):
                f.write(b"\0")
                f.flush()


SIGNALS = [signal.SIGKILL, signal.SIGTERM]
