"""`gpu2mlu verify --compare`: the line rule, checkpoint walking, and the command end to end."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO, require_torch
from gpu2mlu.verify import capture, checkpoints, compare, lines

# --- the line rule ---------------------------------------------------------------------------


def test_timings_are_ignored_and_other_numbers_kept():
    skeleton, numbers = lines.parse("step 3 loss 0.1234567890 time 0.001234s lr 1e-3")
    assert numbers == ("3", "0.1234567890", "1e-3")
    assert skeleton == "step # loss # time ~ lr #"
    for timed in ("12 ms", "0.5s", "3 sec", "2.50it/s", "1.2 s/it", "96 samples/s", "0.1s/step",
                  "4 min", "1.5 h", "12:34:56", "2024-01-31 12:34:56,789"):
        assert lines.parse(f"x {timed} y")[1] == (), timed


def test_numbers_after_a_timing_key_are_ignored_until_the_next_word():
    text = ("Epoch: [0][ 2/3]\tTime  0.123 ( 0.456)\tData  0.001 ( 0.002)\t"
            "Loss 6.9e+00 (6.9e+00)\tAcc@1   0.00 (  0.00)")
    assert lines.parse(text)[1] == ("0", "2", "3", "6.9e+00", "6.9e+00", "1", "0.00", "0.00")
    assert lines.parse("epoch 0 took 12.3 ms, elapsed 4.5 eta 0:00:05, peak memory 3.4 MiB")[1] \
        == ("0", "3.4")  # memory figures are deterministic on the emulator: kept
    assert lines.parse("rank 0 pid 4242 port 29500 data 7")[1] == ("0", "7")


def test_numbers_are_compared_as_printed():
    assert lines.parse("loss 1.0")[1] != lines.parse("loss 1.00")[1]
    assert lines.parse("loss nan -inf -0.0")[1] == ("nan", "-inf", "-0.0")
    assert lines.parse("resnet18 conv1.weight top-1 5")[1] == ("1", "5")


def test_what_legitimately_differs_between_the_folders_is_normalised():
    a = lines.parse("saved /work/p/ckpt.pt on cuda:0 via nccl at 0x7f01 tcp://127.0.0.1:29500",
                    ("/work/p",))
    b = lines.parse("saved /work/p_mlu/ckpt.pt on mlu:0 via cncl at 0x7f99 tcp://127.0.0.1:41234",
                    ("/work/p_mlu",))
    assert a == b
    assert lines.parse("/work/p_mlu/x", ("/work/p",))[0] == "/work/p_mlu/x"  # whole components


def test_progress_redraws_warnings_and_gpu2mlu_messages_are_not_compared():
    out = ("a.py:3: UserWarning: careful\n  warnings.warn('careful')\n"
           " 33%|###  | 1/3\r 67%|###### | 2/3\r100%|#########| 3/3 [00:01<00:00, 2.9it/s]\n"
           "gpu2mlu verify: a note\n\nstep 1 loss 0.5\n")
    kept = lines.split(out)
    assert [line.text for line in kept] == ["100%|#########| 3/3 [00:01<00:00, 2.9it/s]",
                                            "step 1 loss 0.5"]
    assert [line.number for line in kept] == [3, 6]


def test_step_labels():
    kept = lines.split("start\nEpoch: [0][ 2/3]  loss 1\nval 3\niter 40 x\nglobal_step=7\n")
    assert lines.step_label(kept, 0) is None
    assert lines.step_label(kept, 1) == "Epoch: [0][ 2/3]"
    assert lines.step_label(kept, 2) == "after Epoch: [0][ 2/3]"
    assert lines.step_label(kept, 3) == "iter 40"
    assert lines.step_label(kept, 4) == "global_step=7"
    assert lines.step_label(lines.split("epoch 1 step 3 loss 2"), 0) == "epoch 1 step 3"


def test_same_text_other_numbers_is_arithmetic_other_text_is_control_flow():
    same = "step 1 loss 0.5 time 1.0s\nstep 2 loss 0.4 time 2.0s\n"
    assert compare.compare_output(same, same.replace("1.0s", "9.9s"), "stdout") == (None, 2)
    diff, _ = compare.compare_output(same, same.replace("0.4", "0.41"), "stdout")
    assert (diff.kind, diff.step, diff.where, diff.detail) == \
        ("arithmetic", "step 2", "stdout line 2", "0.4 vs 0.41")
    assert diff.original == "step 2 loss 0.4 time 2.0s"
    diff, _ = compare.compare_output(same, same.replace("loss 0.4", "skipped"), "stdout")
    assert diff.kind == "control flow" and diff.detail == "the runs printed different text"
    diff, _ = compare.compare_output(same, "step 1 loss 0.5 time 3s\n", "stdout")
    assert (diff.kind, diff.converted, diff.step) == ("control flow", None, "step 2")
    assert "only the original run printed this line" in diff.detail


def test_original_dir_must_be_another_existing_directory(tmp_path, monkeypatch, capsys):
    from gpu2mlu.verify.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.py").write_text("")
    for given, message in ((tmp_path / "missing", "does not exist"),
                           (tmp_path / "file.py", "is not a directory"),
                           (".", "is the current directory")):
        assert main(["--compare", str(given), "--", sys.executable, "-c", "0"]) == 2
        err = capsys.readouterr().err
        assert message in err and str(given if given != "." else tmp_path) in err
        assert "Traceback" not in err


def test_both_runs_get_the_same_seed_devices_and_line(tmp_path):
    original, converted = compare.configs(("python", "t.py"), tmp_path, devices=3, line="2.3",
                                          log_file=tmp_path / "ev.jsonl", env={"A": "1"})
    assert (original.mode, original.cwd, converted.mode, converted.cwd) == \
        ("run", tmp_path, "verify", None)
    for config in (original, converted):
        assert (config.devices, config.line, config.capture) == (3, "2.3", True)
        assert config.env == {"A": "1", "PYTHONHASHSEED": "0", "PYTHONUNBUFFERED": "1"}
    assert original.log_file.name == "ev.jsonl.original"
    assert converted.log_file.name == "ev.jsonl.converted"
    assert compare.configs(("x",), tmp_path, devices=1, line="2.4",
                           env={"PYTHONHASHSEED": "7"})[0].env["PYTHONHASHSEED"] == "7"


def test_compare_modules_import_no_torch():
    code = ("import sys; sys.modules['torch'] = None\n"
            "import gpu2mlu.verify.compare, gpu2mlu.verify.cli\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_capture_keeps_reading_when_echo_fails():
    def echo(stream, data):
        raise BrokenPipeError  # the reader of our stdout went away (`| head`)

    code, out, err = capture.call(
        [sys.executable, "-c", "import sys; print('x' * 100000); print('e', file=sys.stderr)"],
        dict(os.environ), None, echo)
    assert (code, len(out.strip()), err.strip()) == (0, 100000, b"e")


# --- checkpoints ---------------------------------------------------------------------------


def test_saved_files_pair_by_path_relative_to_the_run(tmp_path):
    run, outside, keep = tmp_path / "run", tmp_path / "shared", tmp_path / "keep"
    (run / "ckpt").mkdir(parents=True)
    outside.mkdir()
    (run / "ckpt" / "a.pt").write_bytes(b"1")
    (outside / "b.pt").write_bytes(b"2")
    saved = [str(run / "ckpt" / "a.pt"), str(outside / "b.pt"), str(run / "ckpt" / "a.pt"),
             str(run / "gone.pt"), None]
    saves = checkpoints.collect(saved, run, keep)
    assert list(saves.files) == ["ckpt/a.pt", str(outside / "b.pt"), "gone.pt"]
    assert saves.files["gone.pt"] is None and saves.unnamed == 1
    kept = saves.files[str(outside / "b.pt")]
    assert kept.startswith(str(keep)) and open(kept, "rb").read() == b"2"  # safe from run two
    other = checkpoints.Saves({"ckpt/a.pt": None, "gone.pt": None, "only.pt": "y"})
    errors = {r.name: r.error for r in checkpoints.compare(saves, other, None)}  # no child needed
    assert errors == {"ckpt/a.pt": "deleted by the converted run after saving",
                      str(outside / "b.pt"): "saved by the original run only",
                      "only.pt": "saved by the converted run only"}  # gone.pt: gone on both


def test_checkpoint_walk_compares_bytes_nan_and_negative_zero():
    torch = require_torch()
    from gpu2mlu.verify.ckptdiff import compare_objects

    nan = float("nan")
    a = {"state_dict": {"w": torch.tensor([1.0, nan, 0.0]), "b": torch.tensor(2.0)}, "lr": 0.1}
    assert compare_objects(a, a).differing_tensors == 0  # NaN equals itself, unlike torch.equal
    b = {"state_dict": {"w": torch.tensor([1.0, nan, -0.0]), "b": torch.tensor(2.0000002)},
         "lr": 0.1}
    walk = compare_objects(a, b)
    assert (walk.tensors, walk.differing_tensors, walk.differing_leaves) == (2, 2, 0)
    assert walk.first == "state_dict.w: 1 of 3 elements differ (NaN, infinity or the sign of zero)"
    walk = compare_objects({"b": a["state_dict"]["b"]}, {"b": b["state_dict"]["b"]})
    assert walk.first.startswith("b: max abs diff 2.38e-07")
    assert compare_objects([0.0, torch.ones(2)], [-0.0, torch.ones(2, dtype=torch.int64)]).first \
        == "[0]: 0.0 vs -0.0"
    assert compare_objects({"x": torch.ones(2)}, {"y": torch.ones(2)}).differing_leaves == 2


# --- end to end through the CLI --------------------------------------------------------------

TRAIN = """\
import os, sys, time
import torch

torch.manual_seed(0)
model = torch.nn.Linear(4, 1).cuda()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(32, 4).cuda()
y = x.sum(dim=1, keepdim=True)
for step in range(1, 4):
    start = time.perf_counter()
    loss = torch.nn.functional.mse_loss(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.10f} time {time.perf_counter() - start:.6f}s")
    print(f"[{time.strftime('%H:%M:%S')}] took {time.time() % 1:.4f}", file=sys.stderr)
torch.save({"model": model.state_dict(), "step": 3, "zero": torch.tensor([0.0])}, "checkpoint.pt")
print("saved", os.path.abspath("checkpoint.pt"))
"""


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The tiny CUDA project and gpu2mlu's conversion of it."""
    from gpu2mlu.cli import main as convert

    root = tmp_path_factory.mktemp("project")
    (root / "cuda").mkdir()
    (root / "cuda" / "train.py").write_text(TRAIN)
    assert convert(["-i", str(root / "cuda"), "-o", str(root / "mlu"), "-q"]) == 0
    assert ".mlu()" in (root / "mlu" / "train.py").read_text()
    return root / "mlu"


def _projects(converted, tmp_path, edit=None):
    """(original, converted) folders for one test; `edit` changes the converted train.py."""
    # The original is the CUDA code itself: `gpu2mlu run` maps it at run time.
    original = shutil.copytree(converted.parent / "cuda", tmp_path / "original")
    mine = shutil.copytree(converted, tmp_path / "converted")
    if edit:
        train = mine / "train.py"
        text = train.read_text()
        changed = edit(text)
        assert changed != text
        train.write_text(changed)
    return original, mine


def _compare(original, mine, monkeypatch, capsys, *extra):
    from gpu2mlu.verify.cli import main

    monkeypatch.chdir(mine)
    code = main(["--compare", str(original), *extra, "--", sys.executable, "train.py"])
    return code, capsys.readouterr()


def test_converted_project_agrees_with_the_original(emulator, converted, tmp_path, monkeypatch,
                                                    capsys):
    original, mine = _projects(converted, tmp_path)
    log = tmp_path / "events.jsonl"
    code, out = _compare(original, mine, monkeypatch, capsys, "--log", str(log))
    assert code == 0, out.err  # must stay 0 once the original is the CUDA code (see _projects)
    assert out.out.count("step 3 loss") == 2  # both runs' output is passed on
    assert "the runs agree (4 stdout lines, 3 stderr lines, 1 checkpoint file(s) compared" \
        in out.err
    assert "under `run`" in out.err and "under `verify`" in out.err
    assert '"kind": "saved"' in log.with_name("events.jsonl.original").read_text()
    assert log.with_name("events.jsonl.converted").exists()


def test_changed_arithmetic_fails_at_the_first_differing_step(emulator, converted, tmp_path,
                                                              monkeypatch, capsys):
    original, mine = _projects(converted, tmp_path,
                               lambda t: t.replace("lr=0.1)", "lr=0.1 * 1.00001)"))
    code, out = _compare(original, mine, monkeypatch, capsys, "--quiet")
    assert code == 1
    report = out.err[out.err.index("the runs differ"):]
    assert "arithmetic divergence at step 2, stdout line 2: " in report
    ours, theirs = (line for line in out.out.splitlines() if line.startswith("step 2 "))
    assert f"original:  {ours}" in report and f"converted: {theirs}" in report
    assert "checkpoint checkpoint.pt: 2 of 3 tensors differ; first: model.weight: max abs diff" \
        in report


def test_checkpoint_only_difference_fails(emulator, converted, tmp_path, monkeypatch, capsys):
    original, mine = _projects(converted, tmp_path,
                               lambda t: t.replace("torch.tensor([0.0])", "torch.tensor([-0.0])"))
    code, out = _compare(original, mine, monkeypatch, capsys, "--quiet")
    assert code == 1
    assert ("checkpoint checkpoint.pt: 1 of 3 tensors differ; first: zero: 1 of 1 elements "
            "differ (NaN, infinity or the sign of zero)") in out.err
    assert "divergence" not in out.err  # the printed output agrees


def test_a_failing_side_fails_and_says_where(emulator, converted, tmp_path, monkeypatch, capsys):
    boom = "    opt.step()\n    if step == 2:\n        raise RuntimeError('boom')\n"
    original, mine = _projects(converted, tmp_path, lambda t: t.replace("    opt.step()\n", boom))
    code, out = _compare(original, mine, monkeypatch, capsys, "--quiet")
    assert code == 1
    report = out.err[out.err.index("the runs differ"):]
    source = (mine / "train.py").read_text().splitlines()
    raised = source.index("        raise RuntimeError('boom')") + 1
    assert ("the converted run failed: exited with 1; uncaught-exception: RuntimeError: boom at "
            f"train.py:{raised}") in report
    assert ("control flow divergence at step 2, stdout line 2: only the original run printed "
            "this line") in report
    assert "checkpoint checkpoint.pt: saved by the original run only" in report


def test_render_lists_every_difference():
    comparison = compare.Comparison(
        [compare.Difference("arithmetic", "stdout line 2", "0.4 vs 0.41", "step 2",
                            "step 2 loss 0.4", "step 2 loss 0.41")], {"stdout": 1}, 0,
        notes=["only the converted run recorded residual-cuda: torch.cuda.x at a.py:3"])
    assert compare.render(comparison) == textwrap.dedent("""\
        gpu2mlu verify --compare: the runs differ (1 difference)
          arithmetic divergence at step 2, stdout line 2: 0.4 vs 0.41
            original:  step 2 loss 0.4
            converted: step 2 loss 0.41
          note: only the converted run recorded residual-cuda: torch.cuda.x at a.py:3""")
