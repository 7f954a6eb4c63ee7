"""Messages name the user's paths (issue 9, case 11): never a staging or temporary path, never a
file that does not exist; and an empty input says that nothing was found."""
import os
import tempfile
from pathlib import Path

import pytest

from gpu2mlu.cli import main
from tests.safety.helpers import TRAIN, as_nobody, can_mount_tmpfs, make_tree, run, tmpfs


def test_read_only_output_location_names_the_output(tmp_path):
    src = make_tree(tmp_path / "p", {"train.py": TRAIN})
    if can_mount_tmpfs():
        with tmpfs("64k", "ro") as read_only:
            outcome = run("-i", src, "-o", read_only / "out")
            assert outcome.code == 3
            assert f"cannot create the output folder {read_only / 'out'}" in outcome.stderr
            assert "Read-only file system" in outcome.stderr and ".gpu2mlu-" not in outcome.stderr
    elif os.geteuid() != 0:
        locked = tmp_path / "ro"
        locked.mkdir(mode=0o555)
        outcome = run("-i", src, "-o", locked / "out")
        assert outcome.code == 3 and str(locked / "out") in outcome.stderr and ".gpu2mlu-" not in outcome.stderr
    else:
        pytest.skip("needs a read-only place: a tmpfs mount or a non-root user")


def test_unreadable_input_folder_is_named_as_such(capfd):
    where = Path(tempfile.mkdtemp())
    os.chmod(where, 0o777)
    src = make_tree(where / "p", {"train.py": TRAIN})
    os.chmod(src, 0o000)
    try:
        argv = ["-i", str(src), "-o", str(where / "out")]
        code = as_nobody(main, argv) if os.geteuid() == 0 else main(argv)
        err = capfd.readouterr().err
        assert code == 2
        assert f"input is not readable: {src}" in err and "pyproject.toml" not in err
    finally:
        os.chmod(src, 0o755)


def test_bad_settings_value_names_pyproject(tmp_path, capsys):
    src = make_tree(tmp_path / "p", {"train.py": TRAIN, "pyproject.toml": '[tool.gpu2mlu]\njobs = -3\n'})
    assert main(["-i", str(src), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{src / 'pyproject.toml'} [tool.gpu2mlu]: jobs must be 0 or more" in err


def test_bad_command_line_value_does_not_blame_pyproject(tmp_path, capsys):
    src = make_tree(tmp_path / "p", {"train.py": TRAIN, "pyproject.toml": '[tool.gpu2mlu]\njobs = 2\n'})
    assert main(["-i", str(src), "-o", str(tmp_path / "out"), "--disable", "no-such-family"]) == 2
    err = capsys.readouterr().err
    assert "no-such-family" in err and "pyproject.toml" not in err


def test_empty_input_folder_says_nothing_was_found(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["-i", str(tmp_path / "empty"), "-o", str(tmp_path / "out")]) == 0
    assert f"no files found in {tmp_path / 'empty'}" in capsys.readouterr().err


def test_write_failure_in_an_output_names_the_output_file(tmp_path):
    src = make_tree(tmp_path / "p", {"train.py": TRAIN, "b.py": TRAIN})
    outcome = run("-i", src, "-o", tmp_path / "out", fault="write@2:enospc")
    assert outcome.code == 3
    assert f"cannot write {tmp_path / 'out'}/" in outcome.stderr and "No space left on device" in outcome.stderr
    assert ".gpu2mlu-" not in outcome.stderr
    assert sorted(os.listdir(tmp_path)) == ["p"]
