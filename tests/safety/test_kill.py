"""Crash safety (issue 9, case 2): a run killed or stopped at any stage leaves the input as it
was, the output complete or absent, no process behind (not even one holding the caller's pipe),
and nothing that a later run does not clean up."""
import signal

import pytest

from tests.safety.helpers import big_project, digest, run, run_and_signal, staging_left, wait_gone

# Where each stage runs with worker processes (-j 2 on 450 files): walk, reports and swap in the
# main process, convert and write in the workers.
STAGES = ["walk@2", "convert@3", "write@5", "reports@2", "swap"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An input tree and the output of an uninterrupted run on it."""
    root = tmp_path_factory.mktemp("ref")
    src = big_project(root / "p")
    assert run("-i", src, "-o", root / "out", "-j", "2", "-q").code == 0
    return src, digest(root / "out", skip_state=False)


def _without_reports(tree: dict) -> dict:
    return {k: v for k, v in tree.items() if k not in ("report.json", "report.html", "report.md")}


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("stage", STAGES)
def test_output_run_stopped_at_each_stage(tmp_path, reference, stage, signum):
    src, expected = reference
    before = digest(src)
    out = tmp_path / "out"
    outcome, tag = run_and_signal("-i", src, "-o", out, "-j", "2", stage=stage, signum=signum)
    assert wait_gone(tag) == [], "a process of the stopped run is still alive"
    assert digest(src) == before
    if signum == signal.SIGTERM:  # handled like Ctrl-C: cleaned up, 128 + 15
        assert outcome.code == 143, outcome.stderr
        assert "stopped by SIGTERM" in outcome.stderr and "Traceback" not in outcome.stderr
        if stage == "swap":  # signals wait for the swap, which then completes
            assert _without_reports(digest(out, skip_state=False)) == _without_reports(expected)
        else:
            assert not out.exists()
        assert staging_left(tmp_path) == []
    else:
        assert outcome.code == -signal.SIGKILL
        assert not out.exists() or _without_reports(digest(out, skip_state=False)) == _without_reports(expected)
    # the next run removes what a killed run left and writes the complete output
    again = run("-i", src, "-o", out, "-j", "2", "-q")
    assert again.code == 0, again.stderr
    assert _without_reports(digest(out, skip_state=False)) == _without_reports(expected)
    assert staging_left(tmp_path) == []


IN_PLACE_STAGES = ["walk@2", "convert@3", "backup@3", "reports@2", "write@3"]


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("stage", IN_PLACE_STAGES)
def test_in_place_run_stopped_at_each_stage(tmp_path, stage, signum):
    src = big_project(tmp_path / "p")
    original = digest(src)
    outcome, tag = run_and_signal("--in-place", "-i", src, "-j", "2", stage=stage, signum=signum)
    assert wait_gone(tag) == []
    if signum == signal.SIGTERM:
        # stopped like Ctrl-C: every replaced file was put back, no backup is left
        assert outcome.code == 143, outcome.stderr
        assert digest(src) == original
        assert run("--undo", "-i", src).code == 2  # nothing to undo
    elif stage == "write@3":
        # killed while replacing: the journal lets --undo restore everything
        assert digest(src) != original
        refused = run("--in-place", "-i", src, "-q")
        assert refused.code == 2 and "--undo" in refused.stderr
        undone = run("--undo", "-i", src)
        assert undone.code == 0, undone.stderr
        assert digest(src) == original
    else:  # killed before the first file was replaced
        assert digest(src) == original
    converted = run("--in-place", "-i", src, "-q")
    assert converted.code == 0, converted.stderr
    assert len(list((src / ".gpu2mlu").glob("backup-*"))) == 1  # the unfinished one was removed
    assert run("--undo", "-i", src, "-q").code == 0
    assert digest(src) == original


def test_a_run_killed_while_its_output_is_piped_does_not_hang(tmp_path):
    # `$(torch_gpu2mlu ...)` returns as soon as the run is gone: no worker holds the pipe
    src = big_project(tmp_path / "p")
    outcome, tag = run_and_signal("-i", src, "-o", tmp_path / "out", "-j", "2", stage="convert@2",
                                  signum=signal.SIGKILL)
    assert outcome.seconds < 60
    assert wait_gone(tag) == []
