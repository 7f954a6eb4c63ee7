"""A closed stdout ends the run quietly with its own exit code (issue 9, case 9); concurrent runs
into one output folder all succeed and leave one run's complete tree (case 10)."""
import subprocess

from tests.safety.helpers import big_project, command, digest, environment, make_tree, run, staging_left


def test_check_into_a_closed_pipe_exits_quietly_with_its_code(tmp_path):
    src = big_project(tmp_path / "p", n=450)
    proc = subprocess.Popen(command("--check", "-i", src), env=environment(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    first = proc.stdout.readline()  # `| head -1`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1  # what --check exits with when there is work to do
    assert first.endswith(b'would add "import torch_mlu"\n')
    assert "Broken pipe" not in err and "Traceback" not in err, err


def test_diff_into_a_closed_pipe_exits_quietly(tmp_path):
    src = big_project(tmp_path / "p", n=450)
    proc = subprocess.Popen(command("--diff", "-i", src), env=environment(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.read(100)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert err == ""


def _without_timing(tree: dict) -> dict:
    return {k: v for k, v in tree.items() if k not in ("report.json", "report.html", "report.md")}


def test_concurrent_runs_into_one_output_all_succeed_with_a_whole_tree(tmp_path):
    src = make_tree(tmp_path / "p", {f"pkg{i % 7}/m{i}.py": f"import torch\nx{i} = y.cuda()\n" for i in range(300)})
    reference = tmp_path / "ref"
    assert run("-i", src, "-o", reference, "-q").code == 0
    out = tmp_path / "out"
    procs = [subprocess.Popen(command("-i", src, "-o", out, "-q", "-j", "1"), env=environment(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert [code for code, _ in results] == [0, 0, 0], results
    assert _without_timing(digest(out, skip_state=False)) == _without_timing(digest(reference, skip_state=False))
    assert staging_left(tmp_path) == []


def test_concurrent_runs_replacing_an_existing_output(tmp_path):
    # issue 9, case 10: runs that replaced the same output removed each other's files
    # ("No such file or directory: __init__.py"); big enough that the replacements overlap
    files = {f"pkg{i % 40}/m{i}.py": f"import torch\nx{i} = y.cuda()\n" for i in range(1200)}
    files.update({f"pkg{i}/__init__.py": "" for i in range(40)})
    src = make_tree(tmp_path / "p", files)
    out = tmp_path / "out"
    assert run("-i", src, "-o", out, "-q").code == 0
    expected = _without_timing(digest(out, skip_state=False))
    for _ in range(2):
        procs = [subprocess.Popen(command("-i", src, "-o", out, "-q", "-j", "1"), env=environment(),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
        results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
        assert [code for code, _ in results] == [0] * 4, results
        assert _without_timing(digest(out, skip_state=False)) == expected
    assert staging_left(tmp_path) == []
