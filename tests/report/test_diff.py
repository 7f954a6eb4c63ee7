"""unified_diff: git-style patches of changed files that `git apply` accepts and that reproduce the
converted files byte for byte (CRLF, missing final newlines and odd paths included)."""
import shutil
import subprocess

import pytest

from gpu2mlu.engine import migrate
from gpu2mlu.report.diff import NO_NEWLINE, hunks, unified_diff
from gpu2mlu.results import CONVERTED, FileResult

from tests.test_cli import make_tree

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


def git(cwd, *args, stdin=None):
    return subprocess.run([GIT, *args], cwd=cwd, input=stdin, capture_output=True, check=True)


def result(before, after, path="train.py"):
    return FileResult(path, CONVERTED, kind="python", before=before, after=after)


def test_header_and_hunk_as_git_writes_them():
    before = "import torch\n\nx = 1\ny = 2\nz = 3\nmodel = model.cuda()\n"
    after = "import torch\nimport torch_mlu\n\nx = 1\ny = 2\nz = 3\nmodel = model.mlu()\n"
    assert unified_diff(result(before, after, "src/train.py")) == (
        "diff --git a/src/train.py b/src/train.py\n"
        "--- a/src/train.py\n"
        "+++ b/src/train.py\n"
        "@@ -1,6 +1,7 @@\n"
        " import torch\n"
        "+import torch_mlu\n"
        " \n"
        " x = 1\n"
        " y = 2\n"
        " z = 3\n"
        "-model = model.cuda()\n"
        "+model = model.mlu()\n")


def test_missing_final_newline_is_marked():
    patch = unified_diff(result("a = 1\nx = x.cuda()", "a = 1\nx = x.mlu()"))
    assert patch.endswith("@@ -1,2 +1,2 @@\n a = 1\n-x = x.cuda()\n" + NO_NEWLINE + "\n+x = x.mlu()\n" + NO_NEWLINE + "\n")


def test_unchanged_last_line_without_newline_is_marked_once():
    patch = unified_diff(result("x = x.cuda()\nend = 1", "x = x.mlu()\nend = 1"))
    assert patch.endswith("-x = x.cuda()\n+x = x.mlu()\n end = 1\n" + NO_NEWLINE + "\n")
    assert patch.count(NO_NEWLINE) == 1


def test_crlf_stays_in_the_lines():
    patch = unified_diff(result("import torch\r\nx.cuda()\r\n", "import torch\r\nx.mlu()\r\n"))
    assert "-x.cuda()\r\n+x.mlu()\r\n" in patch
    assert NO_NEWLINE not in patch


def test_hunks_are_separate_with_three_lines_of_context():
    lines = [f"v{i} = {i}\n" for i in range(40)]
    before = "".join(lines)
    after = before.replace("v5 = 5", "v5 = 50").replace("v30 = 30", "v30 = 300")
    patch = unified_diff(result(before, after))
    assert [line for line in patch.splitlines() if line.startswith("@@")] == ["@@ -3,7 +3,7 @@", "@@ -28,7 +28,7 @@"]


def test_no_patch_without_text_or_change():
    assert unified_diff(result(None, None)) == ""
    assert unified_diff(result("a\n", "a\n")) == ""


def test_paths_are_quoted_like_git():
    patch = unified_diff(result("x.cuda()\n", "x.mlu()\n", 'd\u00e9j\u00e0/a "b".py'))
    assert patch.startswith('diff --git "a/d\\303\\251j\\303\\240/a \\"b\\".py" "b/d\\303\\251j\\303\\240/a \\"b\\".py"\n')
    spaced = unified_diff(result("x.cuda()\n", "x.mlu()\n", "my dir/train.py"))
    assert "--- a/my dir/train.py\t\n+++ b/my dir/train.py\t\n" in spaced


def test_report_hunks_number_lines_like_the_converters():
    # a lone CR ends a line for Python (and for the change rows), not for git
    [hunk] = hunks("a = 1\rx = x.cuda()\r", "a = 1\rx = x.mlu()\r")
    assert [(line.op, line.old, line.new, line.content) for line in hunk.lines] == [
        (" ", 1, 1, "a = 1"), ("-", 2, None, "x = x.cuda()"), ("+", None, 2, "x = x.mlu()")]


PROJECT = {
    "train.py": "import torch\n\nmodel = model.cuda()\nx = torch.randn(2, device='cuda')\n",
    "crlf.py": "import torch\r\n\r\ndevice = torch.device('cuda')\r\nmodel.to(device)\r\n",
    "no_newline.py": "import torch\nx = torch.zeros(3).cuda()",
    "crlf_no_newline.py": "import torch\r\ntorch.cuda.synchronize()",
    "unchanged_tail.py": "import torch\ny = x.cuda()\n# the end, no newline",
    "pkg/deep/mod.py": "import torch\n" + "".join(f"v{i} = {i}\n" for i in range(30)) + "t = t.cuda()\n",
    "my dir/spaced name.py": "import torch\nt = t.cuda()\n",
    "d\u00e9j\u00e0/caf\u00e9.py": "# -*- coding: utf-8 -*-\nimport torch\n# caf\u00e9\nt = t.cuda()\n",
    "README.md": "Train on CUDA.\n",
    "plain.py": "def add(a, b):\n    return a + b\n",
}


@needs_git
def test_patch_applies_with_git_and_reproduces_the_output(tmp_path):
    src = make_tree(tmp_path / "proj", PROJECT)
    out = tmp_path / "proj_mlu"
    run = migrate(src, out, keep_text=True)
    changed = [f for f in run.files if f.status == CONVERTED]
    assert {f.path for f in changed} >= {"train.py", "crlf.py", "no_newline.py", "crlf_no_newline.py",
                                         "unchanged_tail.py", "pkg/deep/mod.py", "my dir/spaced name.py",
                                         "d\u00e9j\u00e0/caf\u00e9.py"}
    patch = "".join(unified_diff(f) for f in changed)
    assert patch.count("diff --git ") == len(changed)
    tree = tmp_path / "applied"
    shutil.copytree(src, tree)
    git(tree, "init", "-q")
    (tmp_path / "changes.patch").write_bytes(patch.encode("utf-8"))
    git(tree, "apply", "--check", str(tmp_path / "changes.patch"))
    git(tree, "apply", str(tmp_path / "changes.patch"))
    for rel in PROJECT:
        assert (tree / rel).read_bytes() == (out / rel).read_bytes(), rel
    # and the patch goes back the other way
    git(tree, "apply", "-R", str(tmp_path / "changes.patch"))
    for rel in PROJECT:
        assert (tree / rel).read_bytes() == (src / rel).read_bytes(), rel


@needs_git
def test_git_reads_the_same_change(tmp_path):
    """git's own view of the patch: the files it touches and the lines it adds and removes."""
    src = make_tree(tmp_path / "proj", {"a.py": "import torch\nx = x.cuda()", "b.py": "import torch\r\ny = y.cuda()\r\n"})
    run = migrate(src, tmp_path / "out", keep_text=True)
    patch = "".join(unified_diff(f) for f in run.files)
    numstat = git(tmp_path, "apply", "--numstat", "-", stdin=patch.encode()).stdout.decode()
    assert sorted(numstat.split("\n")[:-1]) == ["2\t1\ta.py", "2\t1\tb.py"]
