"""Journaled --in-place (issue 9, cases 3 and 4): the backup is complete before the first file is
replaced, a failure puts everything back, --undo restores every file not edited since (even on a
full disk) and keeps and lists the edited ones."""
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from gpu2mlu.cli import main
from tests.safety.helpers import (TRAIN, can_mount_tmpfs, command, digest, environment, fill, make_tree, run,
                                  run_and_signal, tmpfs, wait_gone)

FILES = {"a.py": TRAIN, "b.py": TRAIN.replace("model", "net"), "sub/c.py": "import torch\nx = y.cuda()\n",
         "notes.txt": "cuda notes\n"}


@pytest.fixture
def project(tmp_path):
    return make_tree(tmp_path / "p", FILES)


def test_undo_restores_every_file_not_edited_and_lists_the_edited_one(project, capsys):
    # issue 9, case 3: one edited file made --undo restore nothing
    original = digest(project)
    assert main(["--in-place", "-i", str(project), "-q"]) == 0
    (project / "b.py").write_text("edited by hand\n")
    assert main(["--undo", "-i", str(project)]) == 1
    captured = capsys.readouterr()
    assert "restored 2 files" in captured.out
    assert "b.py" in captured.err and "--force" in captured.err
    assert (project / "a.py").read_text() == TRAIN and (project / "sub/c.py").read_bytes() == b"import torch\nx = y.cuda()\n"
    assert (project / "b.py").read_text() == "edited by hand\n"
    # the edited file's original is kept: a plain --undo again changes nothing, --force restores it
    assert main(["--undo", "-i", str(project)]) == 1
    assert (project / "b.py").read_text() == "edited by hand\n"
    assert main(["--undo", "--force", "-i", str(project), "-q"]) == 0
    assert digest(project) == original
    assert main(["--undo", "-i", str(project)]) == 2  # the backup is used up


def test_undo_restores_a_deleted_file(project):
    original = digest(project)
    assert main(["--in-place", "-i", str(project), "-q"]) == 0
    (project / "sub" / "c.py").unlink()
    (project / "sub").rmdir()
    assert main(["--undo", "--force", "-i", str(project), "-q"]) == 0
    assert {k: v for k, v in digest(project).items() if k != "sub"} == \
        {k: v for k, v in original.items() if k != "sub"}


@pytest.mark.parametrize("fault", ["write@2:enospc", "write@2:eacces", "backup@2:enospc", "reports@3:enospc"])
def test_a_failed_write_puts_everything_back(project, fault):
    original = digest(project)
    outcome = run("--in-place", "-i", project, fault=fault)
    assert outcome.code == 3, outcome.stderr
    assert str(project) in outcome.stderr  # the message names the path
    assert "Traceback" not in outcome.stderr
    assert digest(project) == original
    assert not list((project / ".gpu2mlu").glob("backup-*"))
    assert run("--in-place", "-i", project, "-q").code == 0  # and nothing blocks the next run


def test_a_failed_restore_keeps_the_backup_for_a_second_undo(project):
    original = digest(project)
    assert main(["--in-place", "-i", str(project), "-q"]) == 0
    failed = run("--undo", "-i", project, fault="restore@2:eacces")
    assert failed.code == 3 and "cannot restore" in failed.stderr and str(project) in failed.stderr
    assert run("--undo", "-i", project).code == 0
    assert digest(project) == original


def test_a_stopped_run_cannot_be_followed_by_another_before_undo(project):
    original = digest(project)
    outcome, tag = run_and_signal("--in-place", "-i", project, stage="write@2", signum=signal.SIGKILL)
    assert wait_gone(tag) == []
    refused = run("--in-place", "-i", project)
    assert refused.code == 2 and "stopped half way" in refused.stderr and "--undo" in refused.stderr
    assert run("--undo", "-i", project, "-q").code == 0
    assert digest(project) == original


def test_one_in_place_run_at_a_time(project):
    mark = Path(tempfile.mkdtemp()) / "mark"
    first = subprocess.Popen(command("--in-place", "-i", project, "-q"),
                             env=environment(GPU2MLU_FAULT="walk:pause", GPU2MLU_FAULT_MARK=str(mark),
                                             GPU2MLU_FAULT_PAUSE="3"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not mark.exists():
        assert first.poll() is None and time.monotonic() < deadline, "the first run never paused"
        time.sleep(0.02)
    second = run("--in-place", "-i", project)
    assert second.code == 2 and "another gpu2mlu --in-place" in second.stderr
    assert first.wait(timeout=60) == 0


needs_tmpfs = pytest.mark.skipif(not can_mount_tmpfs(), reason="needs root and tmpfs mounts for a real full disk")


@needs_tmpfs
def test_disk_full_while_writing_the_reports_leaves_the_project_unchanged():
    # issue 9, case 4: the reports filled the disk after the tree was converted, and --undo
    # then failed on the same full disk
    with tmpfs("1m") as disk:
        body = "import torch\n" + "x = torch.cuda.FloatTensor(3).cuda()  # " + "pad " * 8 + "\n"
        src = make_tree(disk / "p", {f"m{i}.py": body * 300 for i in range(12)})
        original = digest(src)
        outcome = run("--in-place", "-i", src)
        assert outcome.code == 3, outcome.stderr
        assert "No space left on device" in outcome.stderr and str(src) in outcome.stderr
        assert digest(src) == original
        assert run("--undo", "-i", src).code == 2  # nothing half done to undo


@needs_tmpfs
def test_undo_works_on_a_full_disk():
    with tmpfs("8m") as disk:
        src = make_tree(disk / "p", {f"m{i}.py": TRAIN * 20 for i in range(5)})
        original = digest(src)
        assert run("--in-place", "-i", src, "-q").code == 0
        fill(disk)
        undone = run("--undo", "-i", src)
        assert undone.code == 0, undone.stderr
        assert digest(src) == original


@needs_tmpfs
def test_disk_full_with_an_output_folder_leaves_nothing(tmp_path):
    with tmpfs("256k") as disk:
        src = make_tree(tmp_path / "p", {f"m{i}.py": TRAIN * 300 for i in range(8)})
        outcome = run("-i", src, "-o", disk / "out")
        assert outcome.code == 3, outcome.stderr
        assert "No space left on device" in outcome.stderr and str(disk / "out") in outcome.stderr
        assert ".gpu2mlu-" not in outcome.stderr  # the user's path, not the staging folder's
        assert list(disk.iterdir()) == []
