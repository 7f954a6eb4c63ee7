"""Nothing dropped (issue 9, case 5): every input path is in the output or in the report's skipped
list with its reason, unreadable files and folders included. Run as a user who really cannot read
them: the test's own user when it is not root, else `nobody` in a forked child."""
import json
import os
import tempfile
from pathlib import Path

import pytest

from gpu2mlu.cli import main
from tests.safety.helpers import TRAIN, as_nobody, make_tree


@pytest.fixture
def place():
    """A folder everyone can reach (pytest's tmp_path is private to root)."""
    where = Path(tempfile.mkdtemp())
    os.chmod(where, 0o777)
    yield where
    for current, dirs, _ in os.walk(where):
        for d in dirs:
            os.chmod(os.path.join(current, d), 0o755)
    import shutil
    shutil.rmtree(where, ignore_errors=True)


def _as_other_user(argv) -> int:
    from gpu2mlu.rules import LINES, load_ruleset
    for line in LINES:  # rule tables loaded before dropping privileges (the checkout may be private)
        load_ruleset(line)
    if os.geteuid() == 0:
        return as_nobody(main, argv)
    return main(argv)


def test_unreadable_file_and_folder_are_reported_not_dropped(place):
    src = make_tree(place / "p", {"train.py": TRAIN, "secret.py": TRAIN, "locked/inner.py": TRAIN,
                                  "locked/deeper/x.txt": "x", "data.bin": b"\x00\x01"})
    for path in (src, src / "locked", src / "locked" / "deeper"):
        os.chmod(path, 0o755)
    os.chmod(src / "secret.py", 0o000)
    os.chmod(src / "data.bin", 0o000)
    os.chmod(src / "locked", 0o000)
    out = place / "out"
    assert _as_other_user(["-i", str(src), "-o", str(out), "-q"]) == 1  # done, with skipped entries
    report = json.loads((out / "report.json").read_text())
    skipped = {f["file"]: f["reason"] for f in report["skipped"]}
    assert "cannot read" in skipped["secret.py"] and "Permission denied" in skipped["secret.py"]
    assert "cannot read" in skipped["data.bin"]
    assert "cannot list folder" in skipped["locked/"]
    assert (out / "train.py").read_text().startswith("import torch\nimport torch_mlu\n")
    assert not (out / "secret.py").exists() and not (out / "data.bin").exists()
    assert (out / "locked").is_dir()
    md = (out / "report.md").read_text()
    assert "secret.py" in md and "locked/" in md


def test_check_lists_unreadable_entries_too(place, capfd):
    src = make_tree(place / "p", {"train.py": TRAIN, "locked/inner.py": TRAIN})
    os.chmod(src, 0o755)
    os.chmod(src / "locked", 0o000)
    assert _as_other_user(["--check", "-i", str(src)]) == 1
    assert "locked/: skipped: cannot list folder" in capfd.readouterr().out
