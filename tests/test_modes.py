"""Review and CI workflows through main(argv): --diff, --check, --in-place/--undo, changes.patch,
--json, --explain, progress, include/exclude, [tool.gpu2mlu] settings and inline ignores."""
import json
import shutil
import subprocess

import pytest

from gpu2mlu.cli import main
from tests.test_cli import make_tree

TRAIN = "import torch\nmodel = model.cuda()\n"
DP = "import torch\nnet = torch.nn.DataParallel(net)\n"  # GM201, an error


def tree_bytes(root):
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


@pytest.fixture
def project(tmp_path):
    return make_tree(tmp_path / "proj", {
        "train.py": TRAIN,
        "crlf.py": "import torch\r\nx = y.cuda()\r\n",
        "no_newline.py": "import torch\nx = y.cuda()",
        "gbk.py": "# -*- coding: gbk -*-\nimport torch\n# 模型\nx = y.cuda()  # 放到设备\n".encode("gbk"),
        "bom.py": b"\xef\xbb\xbfimport torch\nx = y.cuda()\n",
        "dir with space/ünï.py": TRAIN,
        "my file.py": TRAIN,
        "notes.md": "CUDA notes\n",
    })


# --diff ------------------------------------------------------------------------------------------

def test_diff_prints_patch_and_writes_nothing(project, tmp_path, capfdbinary):
    before = tree_bytes(tmp_path)
    assert main(["--diff", "-i", str(project)]) == 0
    out = capfdbinary.readouterr().out
    assert b"--- a/train.py\n+++ b/train.py\n" in out  # the input folder is outside the current one
    assert b"-model = model.cuda()\n+import torch_mlu\n+model = model.mlu()\n" in out
    assert tree_bytes(tmp_path) == before  # no PROJECT_mlu, nothing touched


# changes.patch ----------------------------------------------------------------------------------

def _git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_changes_patch_applies_with_git_apply(project, tmp_path):
    out = tmp_path / "out"
    assert main(["-i", str(project), "-o", str(out), "-q"]) == 0
    copy = tmp_path / "copy"
    shutil.copytree(project, copy)
    _git("init", "-q", cwd=copy)
    _git("apply", "--check", str(out / "changes.patch"), cwd=copy)
    _git("apply", str(out / "changes.patch"), cwd=copy)
    produced = {k: v for k, v in tree_bytes(out).items() if k not in
                ("report.md", "report.json", "report.html", "changes.patch")}
    assert tree_bytes(copy) == produced


@pytest.mark.skipif(shutil.which("patch") is None, reason="patch is not installed")
def test_changes_patch_applies_with_patch_p1(project, tmp_path):
    out = tmp_path / "out"
    main(["-i", str(project), "-o", str(out), "-q"])
    copy = tmp_path / "copy"
    shutil.copytree(project, copy)
    with open(out / "changes.patch", "rb") as patch:
        subprocess.run(["patch", "-p1", "-s"], cwd=copy, stdin=patch, check=True)
    assert tree_bytes(copy)["gbk.py"] == tree_bytes(out)["gbk.py"]
    assert tree_bytes(copy)["crlf.py"] == b"import torch\r\nimport torch_mlu\r\nx = y.mlu()\r\n"
    assert tree_bytes(copy)["no_newline.py"] == tree_bytes(out)["no_newline.py"]


# --check ----------------------------------------------------------------------------------------

def test_check_exit_codes_and_lines(tmp_path, capsys):
    clean = make_tree(tmp_path / "clean", {"a.py": "import torch\nimport torch_mlu\nx = y.mlu()\n"})
    assert main(["--check", "-i", str(clean)]) == 0
    assert capsys.readouterr().out == ""
    dirty = make_tree(tmp_path / "dirty", {"a.py": TRAIN})
    assert main(["--check", str(dirty / "a.py")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert any(line.endswith('a.py:2: tensor-cuda-method would change "model = model.cuda()" to '
                             '"model = model.mlu()"') for line in out)
    assert not (tmp_path / "dirty_mlu").exists()


def test_check_fail_on_severity(tmp_path, capsys):
    src = make_tree(tmp_path / "p", {"a.py": "import torch\nimport torch_mlu\n"
                                             "torch.backends.cuda.preferred_linalg_library('cusolver')\n"})
    assert main(["--check", "-i", str(src)]) == 0  # GM106 is info; the default fails on warning
    assert main(["--check", "-i", str(src), "--fail-on", "info"]) == 1
    assert "a.py:3: GM106 [info]" in capsys.readouterr().out


def test_check_error_finding_fails_unless_threshold_higher(tmp_path, capsys):
    src = make_tree(tmp_path / "p", {"a.py": "import torch\nimport torch_mlu\nnet = torch.nn.DataParallel(net)\n"})
    assert main(["--check", "-i", str(src), "--fail-on", "error"]) == 1
    assert "a.py:3: GM201 [error]" in capsys.readouterr().out
    assert main(["--check", "-i", str(src), "--fail-on", "never"]) == 0


def test_check_passes_over_files_of_no_known_kind(tmp_path, capsys):
    src = make_tree(tmp_path / "p", {"README.md": "x = y.cuda()\n", "data.bin": b"\x00cuda"})
    assert main(["--check", str(src / "README.md"), str(src / "data.bin")]) == 0


def test_check_reports_skipped_files(tmp_path, capsys):
    src = make_tree(tmp_path / "p", {"bad.py": "import torch\nx = y.cuda(\n"})
    assert main(["--check", "-i", str(src)]) == 1
    assert "bad.py: skipped:" in capsys.readouterr().out


def test_pre_commit_hook_file_runs_gpu2mlu_check():
    from pathlib import Path
    text = (Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml").read_text()
    assert "id: gpu2mlu-check" in text and "entry: gpu2mlu --check" in text


# --in-place and --undo --------------------------------------------------------------------------

def test_in_place_converts_backs_up_and_undo_restores(project, capsys):
    original = tree_bytes(project)
    assert main(["--in-place", "-i", str(project)]) == 0
    converted = tree_bytes(project)
    assert converted["train.py"] == b"import torch\nimport torch_mlu\nmodel = model.mlu()\n"
    backups = list((project / ".gpu2mlu").glob("backup-*"))
    assert len(backups) == 1
    assert (backups[0] / "files" / "train.py").read_bytes() == TRAIN.encode()
    for name in ("report.md", "report.json", "report.html", "changes.patch"):
        assert (backups[0] / name).is_file()
    assert "undo with" in capsys.readouterr().out
    # a second in-place run changes nothing
    main(["--in-place", "-i", str(project), "-q"])
    assert {k: v for k, v in tree_bytes(project).items() if not k.startswith(".gpu2mlu")} == \
        {k: v for k, v in converted.items() if not k.startswith(".gpu2mlu")}
    assert main(["--undo", "-i", str(project)]) == 0  # undoes the (empty) second run
    assert main(["--undo", "-i", str(project)]) == 0  # undoes the first
    restored = {k: v for k, v in tree_bytes(project).items() if not k.startswith(".gpu2mlu")}
    assert restored == original


def test_undo_keeps_files_edited_since(project, capsys):
    main(["--in-place", "-i", str(project), "-q"])
    (project / "train.py").write_text("edited by hand\n")
    assert main(["--undo", "-i", str(project)]) == 1
    assert "train.py" in capsys.readouterr().err
    assert (project / "train.py").read_text() == "edited by hand\n"
    assert main(["--undo", "--force", "-i", str(project)]) == 0
    assert (project / "train.py").read_text() == TRAIN


def test_undo_without_backup_is_a_usage_error(tmp_path, capsys):
    src = make_tree(tmp_path / "p", {"a.py": TRAIN})
    assert main(["--undo", "-i", str(src)]) == 2
    assert "no gpu2mlu --in-place backup" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_in_place_refuses_dirty_git_tree(tmp_path, capsys):
    src = make_tree(tmp_path / "repo", {"a.py": TRAIN})
    _git("init", "-q", cwd=src)
    _git("add", ".", cwd=src)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x", cwd=src)
    (src / "a.py").write_text(TRAIN + "y = z.cuda()\n")
    assert main(["--in-place", "-i", str(src)]) == 2
    assert "uncommitted changes" in capsys.readouterr().err
    assert (src / "a.py").read_text() == TRAIN + "y = z.cuda()\n"
    assert main(["--in-place", "--allow-dirty", "-i", str(src), "-q"]) == 0
    assert "y = z.mlu()" in (src / "a.py").read_text()
    # the backup folder ignores itself, so the work tree shows only gpu2mlu's edits
    status = subprocess.run(["git", "status", "--porcelain"], cwd=src, capture_output=True, text=True).stdout
    assert status.split() == ["M", "a.py"]


# --json, --explain, progress --------------------------------------------------------------------

def test_json_prints_the_report(project, tmp_path, capsys):
    assert main(["-i", str(project), "-o", str(tmp_path / "o"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tool"] == "gpu2mlu" and data["summary"]["files"]["converted"] == 7


def test_explain_finding_family_and_unknown(capsys):
    assert main(["--explain", "GM201"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("GM201 data-parallel (error)") and "DistributedDataParallel" in out
    assert main(["--explain", "amp"]) == 0
    assert "torch.amp.autocast" in capsys.readouterr().out
    assert main(["--explain", "GM999"]) == 2


def test_progress_bar_when_asked(project, tmp_path, capsys):
    assert main(["-i", str(project), "-o", str(tmp_path / "o"), "-q", "--progress"]) == 0
    err = capsys.readouterr().err
    assert "gpu2mlu: [" in err and "8/8 files" in err


def test_no_progress_bar_when_not_a_terminal(project, tmp_path, capsys):
    main(["-i", str(project), "-o", str(tmp_path / "o"), "-q"])
    assert capsys.readouterr().err == ""


# include / exclude / settings / ignore ----------------------------------------------------------

def test_exclude_and_include_copy_files_unchanged(project, tmp_path):
    out = tmp_path / "o"
    assert main(["-i", str(project), "-o", str(out), "-q", "--exclude", "dir with space/",
                 "--exclude", "crlf.py"]) == 0
    assert (out / "dir with space/ünï.py").read_text() == TRAIN
    assert (out / "crlf.py").read_bytes() == (project / "crlf.py").read_bytes()
    assert "mlu" in (out / "train.py").read_text()
    report = json.loads((out / "report.json").read_text())
    assert report["summary"]["files"]["excluded"] == 2
    out2 = tmp_path / "o2"
    main(["-i", str(project), "-o", str(out2), "-q", "--include", "*.py", "--exclude", "t*.py"])
    assert (out2 / "train.py").read_text() == TRAIN
    assert "mlu" in (out2 / "bom.py").read_text(encoding="utf-8-sig")


def test_pyproject_settings_and_command_line_precedence(tmp_path, capsys):
    src = make_tree(tmp_path / "p", {
        "pyproject.toml": '[tool.gpu2mlu]\ntarget = "2.1"\nexclude = ["vendor/"]\n'
                          'disable = ["GM201"]\n[tool.gpu2mlu.env]\nMY_CUDA_CACHE = "MY_MLU_CACHE"\n'
                          '[tool.gpu2mlu.api]\n"torch.cuda.brand_new_api" = "torch.mlu.brand_new_api"\n',
        "a.py": "import os, torch\nwith torch.cuda.amp.autocast():\n    pass\n"
                "net = torch.nn.DataParallel(net)\nos.environ['MY_CUDA_CACHE'] = '1'\n"
                "torch.cuda.brand_new_api()\n",
        "vendor/b.py": TRAIN,
    })
    out = tmp_path / "o"
    assert main(["-i", str(src), "-o", str(out), "-q"]) == 0
    text = (out / "a.py").read_text()
    assert "torch.mlu.amp.autocast()" in text  # target 2.1 from pyproject
    assert "'MY_MLU_CACHE'" in text and "torch.mlu.brand_new_api()" in text
    assert (out / "vendor/b.py").read_text() == TRAIN
    report = json.loads((out / "report.json").read_text())
    assert report["target"] == "2.1" and "GM201" not in report["summary"]["findings_by_id"]
    out2 = tmp_path / "o2"
    main(["-i", str(src), "-o", str(out2), "-q", "--target", "2.4"])  # the command line wins
    assert "torch.amp.autocast('mlu')" in (out2 / "a.py").read_text()
    out3 = tmp_path / "o3"
    main(["-i", str(src), "-o", str(out3), "-q", "--no-config"])
    assert "mlu" in (out3 / "vendor/b.py").read_text()


SETTINGS_TABLE = (
    '[tool.gpu2mlu]\n'
    'target = "2.4"\n'
    'exclude = ["cuda_kernels/"]\n'
    'disable = ["GM201", "tensor-cuda-method"]\n'
    'fail-on = "error"\n'
    'api = { "torch.cuda.foo" = "torch.mlu.foo" }\n'
    '\n'
    '[tool.gpu2mlu.env]\n'
    'MYTEAM_CUDA_CACHE = "MYTEAM_MLU_CACHE"\n'
    'CUDA_VISIBLE_DEVICES = "MLU_VISIBLE_DEVICES"\n'
    'CUDA_LAUNCH_BLOCKING = "MYTEAM_MLU_BLOCKING"\n'
    '\n'
)
SETTINGS_PYPROJECT = (
    '[project]\nname = "demo"\ndependencies = ["torch==2.1.0+cu118"]\n\n'
    '[tool.before]\ndevice = "cuda:0"\n\n'
    + SETTINGS_TABLE
    + '[tool.after]\nenv = { CUDA_VISIBLE_DEVICES = "0" }\n'
)


def _settings_table(pyproject) -> str:
    text = pyproject.read_text()
    return text[text.index("[tool.gpu2mlu]"):text.index("[tool.after]")]


@pytest.mark.parametrize("mode", ["-o", "--in-place"])
def test_own_settings_are_never_converted(tmp_path, mode):
    from gpu2mlu.settings import from_pyproject
    src = make_tree(tmp_path / "p", {
        "pyproject.toml": SETTINGS_PYPROJECT,
        "a.py": "import os, torch\nx = os.environ['MYTEAM_CUDA_CACHE']\ny = torch.cuda.foo()\nz = z.cuda()\n",
    })
    meant = {k: v for k, v in from_pyproject(src / "pyproject.toml").items() if k != "source"}
    out = tmp_path / "o" if mode == "-o" else src
    main(["-i", str(src), "-q", *(["-o", str(out)] if mode == "-o" else ["--in-place", "--allow-dirty"])])
    assert _settings_table(out / "pyproject.toml") == SETTINGS_TABLE
    assert {k: v for k, v in from_pyproject(out / "pyproject.toml").items() if k != "source"} == meant
    text = (out / "pyproject.toml").read_text()  # the tables around it convert as usual
    assert 'device = "mlu:0"' in text and '{ MLU_VISIBLE_DEVICES = "0" }' in text
    assert (out / "a.py").read_text() == (  # and the settings still apply
        "import os, torch\nimport torch_mlu\nx = os.environ['MYTEAM_MLU_CACHE']\ny = torch.mlu.foo()\nz = z.cuda()\n")
    reports = out if mode == "-o" else next((src / ".gpu2mlu").glob("backup-*"))
    report = json.loads((reports / "report.json").read_text())
    first = SETTINGS_PYPROJECT[:SETTINGS_PYPROJECT.index(SETTINGS_TABLE)].count("\n") + 1
    table_lines = range(first, first + SETTINGS_TABLE.count("\n"))
    reported = sorted(r["line"] for r in report["changes"] + report["findings"] if r["file"] == "pyproject.toml")
    assert reported == [3, 6, 21]  # the torch pin, the device, the variable: none in the table
    assert not set(reported) & set(table_lines)


@pytest.mark.parametrize("setting, message", [
    ('target = "9.9"', "target"),
    ('colour = "red"', "unknown keys colour"),
    ('disable = ["no-such-rule"]', "no-such-rule"),
    ('exclude = 3', "exclude must be a list"),
    ('fail-on = "fatal"', "fail-on"),
])
def test_bad_settings_are_usage_errors(tmp_path, capsys, setting, message):
    src = make_tree(tmp_path / "p", {"pyproject.toml": f"[tool.gpu2mlu]\n{setting}\n", "a.py": TRAIN})
    assert main(["-i", str(src), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_disable_rule_family(tmp_path):
    src = make_tree(tmp_path / "p", {"a.py": "import torch\nx = y.cuda()\nd = torch.device('cuda')\n"})
    main(["-i", str(src), "-o", str(tmp_path / "o"), "-q", "--disable", "device-literal"])
    assert (tmp_path / "o/a.py").read_text() == "import torch\nimport torch_mlu\nx = y.mlu()\nd = torch.device('cuda')\n"


def test_inline_ignore_silences_one_finding_on_one_line(tmp_path):
    src = make_tree(tmp_path / "p", {"a.py": (
        "import torch\n"
        "a = torch.nn.DataParallel(a)  # gpu2mlu: ignore[GM201]\n"
        "b = torch.nn.DataParallel(b)  # gpu2mlu: ignore[GM100]\n"
        "c = torch.nn.DataParallel(c)\n"
        "d = torch.nn.DataParallel(d)  # gpu2mlu: ignore\n")})
    main(["-i", str(src), "-o", str(tmp_path / "o"), "-q"])
    report = json.loads((tmp_path / "o/report.json").read_text())
    assert [(f["id"], f["line"]) for f in report["findings"]] == [("GM201", 3), ("GM201", 4)]
