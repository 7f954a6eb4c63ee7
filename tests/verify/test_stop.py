"""A stopped `gpu2mlu verify`/`run` stops the whole command: nothing keeps running orphaned."""

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import pythonpath_with_repo

SLEEPER = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(120)"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


@pytest.mark.parametrize("sub, signum", [("run", signal.SIGTERM), ("verify", signal.SIGHUP),
                                         ("run", signal.SIGINT)])
def test_a_signal_stops_the_command_and_its_grandchildren(emulator, tmp_path, sub, signum):
    marker = tmp_path / "pid"
    # bash -> python: the shell would die of SIGTERM and leave its child running
    script = tmp_path / "job.sh"
    script.write_text(f'{sys.executable} -c "{SLEEPER}" {marker}\necho never\n')
    env = {**os.environ, **pythonpath_with_repo()}
    proc = subprocess.Popen([sys.executable, "-m", "gpu2mlu", sub, "--", "bash", str(script)],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not marker.exists() or not marker.read_text():
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    grandchild = int(marker.read_text())
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)  # Ctrl-C: the terminal signals the whole foreground group
    else:
        proc.send_signal(signum)  # only gpu2mlu gets it
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err
    assert f"stopped by {signal.Signals(signum).name}" in err
    assert "never" not in out
    assert not _alive(grandchild)
