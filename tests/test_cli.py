"""The command through main(argv): output folders, exit codes, reports, file preservation."""
import json
import os
import stat
import sys
from collections import Counter

import pytest

from gpu2mlu.cli import main
from gpu2mlu.engine import REPORT_FILES
from gpu2mlu.kinds import KINDS


def make_tree(root, files):
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


@pytest.fixture
def project(tmp_path):
    return make_tree(tmp_path / "proj", {
        "train.py": "import torch\nmodel = model.cuda()\n",
        "utils/helpers.py": "def add(a, b):\n    return a + b\n",
        "README.md": "Train on CUDA.\n",
        "data/weights.bin": bytes(range(256)),
        "run.sh": "#!/bin/sh\npython train.py\n",
    })


def read_report(out):
    return json.loads((out / "report.json").read_text())


def test_converts_into_sibling_folder(project, capsys):
    assert main(["-i", str(project)]) == 0
    out = project.with_name("proj_mlu")
    assert (out / "train.py").read_text() == "import torch\nimport torch_mlu\nmodel = model.mlu()\n"
    assert (out / "utils/helpers.py").read_bytes() == (project / "utils/helpers.py").read_bytes()
    assert (out / "data/weights.bin").read_bytes() == bytes(range(256))
    printed = capsys.readouterr().out
    assert f"Official PyTorch model scripts:  {project}" in printed
    assert f"Cambricon PyTorch model scripts:  {out}" in printed
    assert f"Migration Report:  {out / 'report.md'}" in printed
    assert "1 converted" in printed


def test_input_is_never_modified(project, tmp_path):
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    main(["-i", str(project), "-o", str(tmp_path / "out")])
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before


def test_report_md_keeps_the_original_table(project, tmp_path):
    out = tmp_path / "out"
    main(["-i", str(project), "-o", str(out)])
    lines = (out / "report.md").read_text().splitlines()
    assert lines[:4] == ["# Cambricon PyTorch Model Migration Report", "## Cambricon PyTorch Changes",
                         "| No. | File | Description |", "| --- | --- | --- |"]
    assert lines[4] == '| 1 | train.py:1 | add "import torch_mlu" |'
    assert lines[5] == '| 2 | train.py:2 | change "model = model.cuda()" to "model = model.mlu()" |'


def test_report_json_schema(project, tmp_path):
    out = tmp_path / "out"
    main(["-i", str(project), "-o", str(out)])
    report = read_report(out)
    assert report["tool"] == "gpu2mlu"
    assert report["changes"][1] == {"file": "train.py", "line": 2, "rule": "tensor-cuda-method",
                                    "before": "model = model.cuda()", "after": "model = model.mlu()",
                                    "kind": "change"}
    assert report["summary"]["files"] == {"scanned": 5, "converted": 1, "unchanged": 2, "copied": 2,
                                          "linked": 0, "skipped": 0, "excluded": 0}
    kinds = {row["file"]: row["kind"] for row in report["files"]}
    assert report["summary"]["files_by_kind"] == dict(sorted(Counter(kinds.values()).items(),
                                                             key=lambda kv: KINDS.index(kv[0])))
    assert set(report["summary"]["timing"]) >= {"scan", "parse", "edit", "write", "total"}


def test_pipes_are_escaped_in_markdown(tmp_path):
    src = make_tree(tmp_path / "p", {"a.py": "import torch\nx = a.cuda() | b\n"})
    main(["-i", str(src), "-o", str(tmp_path / "o")])
    assert 'change "x = a.cuda() \\| b" to "x = a.mlu() \\| b"' in (tmp_path / "o/report.md").read_text()


def test_mode_bits_are_kept(project, tmp_path):
    os.chmod(project / "run.sh", 0o755)
    os.chmod(project / "train.py", 0o751)
    out = tmp_path / "out"
    main(["-i", str(project), "-o", str(out)])
    assert stat.S_IMODE((out / "run.sh").stat().st_mode) == 0o755
    assert stat.S_IMODE((out / "train.py").stat().st_mode) == 0o751


def test_symlinks_stay_symlinks(project, tmp_path):
    os.symlink("train.py", project / "link.py")
    os.symlink("utils", project / "utils_link")
    out = tmp_path / "out"
    main(["-i", str(project), "-o", str(out)])
    assert os.readlink(out / "link.py") == "train.py"
    assert os.readlink(out / "utils_link") == "utils"


def test_vcs_folders_are_skipped(project, tmp_path):
    make_tree(project, {".git/config": "x", ".hg/store": "x", ".svn/entries": "x", ".github/ci.yml": "x"})
    out = tmp_path / "out"
    main(["-i", str(project), "-o", str(out)])
    assert not (out / ".git").exists() and not (out / ".hg").exists() and not (out / ".svn").exists()
    assert (out / ".github/ci.yml").exists()


def test_output_inside_input_is_not_walked(project):
    out = project / "converted"
    assert main(["-i", str(project), "-o", str(out)]) == 0
    assert main(["-i", str(project), "-o", str(out)]) == 0  # the earlier output is not re-read
    assert not (out / "converted").exists()


def test_single_file(tmp_path):
    src = tmp_path / "train.py"
    src.write_text("import torch\nx = y.cuda()\n")
    assert main(["-i", str(src)]) == 0
    out = tmp_path / "train_mlu"
    assert (out / "train.py").read_text() == "import torch\nimport torch_mlu\nx = y.mlu()\n"
    assert read_report(out)["changes"][0]["file"] == "train.py"


def test_missing_input(tmp_path, capsys):
    assert main(["-i", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_no_arguments(capsys):
    assert main([]) == 2
    assert "required" in capsys.readouterr().err


def test_foreign_output_folder_is_refused(project, tmp_path, capsys):
    out = tmp_path / "mine"
    make_tree(out, {"keep.txt": "precious"})
    assert main(["-i", str(project), "-o", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "precious"
    assert main(["-i", str(project), "-o", str(out), "--force"]) == 0
    assert not (out / "keep.txt").exists()


def test_own_output_folder_is_replaced(project, tmp_path):
    out = tmp_path / "out"
    assert main(["-i", str(project), "-o", str(out)]) == 0
    (project / "train.py").unlink()
    assert main(["-i", str(project), "-o", str(out)]) == 0
    assert not (out / "train.py").exists()


def test_output_containing_input_is_refused(project, capsys):
    assert main(["-i", str(project), "-o", str(project.parent), "--force"]) == 2
    assert (project / "train.py").exists()


def test_unparsable_file_is_copied_and_listed(tmp_path, capsys):
    src = make_tree(tmp_path / "p", {"old.py": "print 'cuda'\nx = y.cuda()\n", "ok.py": "import torch\n"})
    out = tmp_path / "o"
    assert main(["-i", str(src), "-o", str(out)]) == 1
    assert (out / "old.py").read_bytes() == (src / "old.py").read_bytes()
    report = read_report(out)
    assert report["skipped"][0]["file"] == "old.py" and "line 1" in report["skipped"][0]["reason"]
    assert "## Skipped Files" in (out / "report.md").read_text()
    assert "skipped old.py" in capsys.readouterr().err


@pytest.mark.parametrize("name, content", [
    pytest.param("t.py", "import torch\ndef f(:\n", id="only-import-torch"),
    pytest.param("setup.py", "import torch\nsetup(install_requires=['torch'\n",
                 id="setup-py"),
])
def test_a_file_that_needs_a_change_but_does_not_parse_is_skipped(tmp_path, name, content):
    src = make_tree(tmp_path / "p", {name: content})
    out = tmp_path / "o"
    assert main(["-i", str(src), "-o", str(out)]) == 1
    assert (out / name).read_bytes() == content.encode()
    report = read_report(out)
    assert [s["file"] for s in report["skipped"]] == [name]
    assert "line 2" in report["skipped"][0]["reason"]
    assert report["changes"] == [] and report["findings"] == []


@pytest.mark.parametrize("content", ["x = 1\ndef f(:\n", "import torch\nimport torch_mlu\ndef f(:\n"])
def test_a_file_that_needs_nothing_and_does_not_parse_is_copied_unchanged(tmp_path, content):
    # nothing to migrate: gpu2mlu does not parse it (speed) and copies it byte for byte
    src = make_tree(tmp_path / "p", {"t.py": content})
    out = tmp_path / "o"
    assert main(["-i", str(src), "-o", str(out), "-q"]) == 0
    assert (out / "t.py").read_bytes() == content.encode()


def test_undecodable_file_is_copied_and_listed(tmp_path):
    src = make_tree(tmp_path / "p", {"bad.py": b"x = '\xff'  # cuda\n"})
    assert main(["-i", str(src), "-o", str(tmp_path / "o")]) == 1
    assert (tmp_path / "o/bad.py").read_bytes() == b"x = '\xff'  # cuda\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file_is_listed(tmp_path):
    src = make_tree(tmp_path / "p", {"secret.py": "x = 1\n", "a.py": "import torch\n"})
    os.chmod(src / "secret.py", 0)
    assert main(["-i", str(src), "-o", str(tmp_path / "o")]) == 1
    assert read_report(tmp_path / "o")["skipped"][0]["file"] == "secret.py"


def test_project_report_md_is_not_overwritten(tmp_path):
    src = make_tree(tmp_path / "p", {"report.md": "my report\n", "a.py": "import torch\n"})
    out = tmp_path / "o"
    assert main(["-i", str(src), "-o", str(out)]) == 0
    assert (out / "report.md").read_text() == "my report\n"
    assert (out / "gpu2mlu_report.md").exists() and (out / "gpu2mlu_report.json").exists()
    assert main(["-i", str(src), "-o", str(out)]) == 0  # still recognised as ours


def test_python_script_without_extension(tmp_path):
    src = make_tree(tmp_path / "p", {"bin/train": "#!/usr/bin/env python3\nimport torch\nx = y.cuda()\n"})
    main(["-i", str(src), "-o", str(tmp_path / "o")])
    assert (tmp_path / "o/bin/train").read_text().endswith("x = y.mlu()\n")


def test_target_line_2_1(tmp_path):
    src = make_tree(tmp_path / "p", {"a.py": "import torch\ns = torch.cuda.amp.GradScaler()\n"})
    main(["-i", str(src), "-o", str(tmp_path / "o"), "--target", "2.1"])
    assert "torch.mlu.amp.GradScaler()" in (tmp_path / "o/a.py").read_text()


def test_parallel_run_matches_serial(tmp_path):
    files = {f"pkg/m{i}.py": f"import torch\nx{i} = torch.cuda.device_count()\n" for i in range(60)}
    files.update({f"pkg/plain{i}.py": "x = 1\n" for i in range(60)})
    src = make_tree(tmp_path / "p", files)
    assert main(["-i", str(src), "-o", str(tmp_path / "serial"), "-j", "1", "-q"]) == 0
    from gpu2mlu import tree
    old = tree._PARALLEL_MIN_FILES
    tree._PARALLEL_MIN_FILES = 1
    try:
        assert main(["-i", str(src), "-o", str(tmp_path / "par"), "-j", "2", "-q"]) == 0
    finally:
        tree._PARALLEL_MIN_FILES = old
    for rel in files:
        assert (tmp_path / "serial" / rel).read_bytes() == (tmp_path / "par" / rel).read_bytes()
    a, b = read_report(tmp_path / "serial"), read_report(tmp_path / "par")
    assert a["changes"] == b["changes"]


def test_second_run_changes_nothing(project, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    main(["-i", str(project), "-o", str(first), "-q"])
    main(["-i", str(first), "-o", str(second), "-q"])
    for path in first.rglob("*"):
        if path.is_file() and path.name not in REPORT_FILES:
            assert (second / path.relative_to(first)).read_bytes() == path.read_bytes()
    assert read_report(second)["changes"] == []


def test_python_dash_m(project, tmp_path):
    import subprocess
    proc = subprocess.run([sys.executable, "-m", "gpu2mlu", "-i", str(project), "-o", str(tmp_path / "o")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Migration Report" in proc.stdout


def test_version(capsys):
    assert main(["--version"]) == 0
    assert "gpu2mlu" in capsys.readouterr().out
