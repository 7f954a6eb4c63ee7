"""The call log of `gpu2mlu run`: folding events, the summary, the reports, the monitors."""

import json
import os
import subprocess
import sys

from gpu2mlu.verify import calllog, monitors, run_cli
from gpu2mlu.report import markdown


def _event(**fields):
    base = {"kind": "run-call", "status": "mapped", "rule": "torch-cuda-api", "finding": None,
            "package": None}
    return {**base, **fields}


def _log(tmp_path, records):
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + '{"kind": "run-ca',
                    encoding="utf-8")  # a torn last line, as a killed process leaves
    return path


def test_calls_are_folded_across_processes_with_their_counts(tmp_path):
    main = str(tmp_path / "main.py")
    dep = str(tmp_path / "site" / "thatpkg" / "core.py")
    log = _log(tmp_path, [
        _event(pid=1, id=1, api="torch.cuda.is_available", to="torch.mlu.is_available",
               where="main.py:3", file=main, line=3),
        _event(pid=1, id=2, api="Tensor.cuda", to="Tensor.mlu", where="main.py:9", file=main, line=9),
        {"kind": "run-call-counts", "pid": 1, "counts": {"1": 1, "2": 40}},
        # a second rank: same site, counted again
        _event(pid=2, id=1, api="Tensor.cuda", to="Tensor.mlu", where="main.py:9", file=main, line=9),
        {"kind": "run-call-counts", "pid": 2, "counts": {"1": 40}},
        # a process that died before its counts: its calls count once
        _event(pid=3, id=1, status="unsupported", api="torch.cuda.jiterator", to=None,
               finding="GM101", where="main.py:5", file=main, line=5),
        _event(pid=1, id=3, api="torch.device('cuda')", to="torch.device('mlu')",
               rule="device-string", where=f"{dep}:7", file=dep, line=7, package="thatpkg"),
    ])
    calls = calllog.read(log)
    by_api = {c.api: c for c in calls}
    assert by_api["Tensor.cuda"].count == 80
    assert by_api["torch.cuda.is_available"].count == 1
    assert by_api["torch.cuda.jiterator"].count == 1 and by_api["torch.cuda.jiterator"].status == "unsupported"
    assert by_api["torch.device('cuda')"].owner == "thatpkg"
    assert [c.status for c in calls] == ["mapped"] * 3 + ["unsupported"]  # mapped first

    text = calllog.render(calls)
    assert "dependencies: thatpkg" in text
    assert "Tensor.cuda -> Tensor.mlu at main.py:9 (x80)" in text
    assert "GM101 torch.cuda.jiterator at main.py:5" in text

    doc = calllog.to_json(calls, ["python", "main.py"], 0)
    assert doc["by_owner"] == {"project": 3, "thatpkg": 1} and doc["by_status"]["unsupported"] == 1

    run = calllog.report_model(calls, tmp_path, "2.4", ["python", "main.py"])
    md = markdown.render(run) + calllog.owners_markdown(calls)
    assert '| main.py:9 | change "Tensor.cuda" to "Tensor.mlu (at run time) (x80)" |' in md
    assert "| GM101 | main.py:5 | torch.cuda.jiterator has no torch_mlu equivalent" in md
    assert "thatpkg/core.py:7" in md
    assert "| project | 2 | 1 | 0 |" in md and "| thatpkg | 1 | 0 | 0 |" in md


def test_a_launch_script_call_is_attributed_to_the_script(tmp_path):
    log = _log(tmp_path, [_event(pid=5, id=0, api="nvidia-smi", to="cnmon", rule="launch",
                                 where="bash run.sh --epochs 1", file=None, line=None)] * 2)
    [call] = calllog.read(log)
    assert (call.where, call.count) == ("run.sh", 2)
    md = markdown.render(calllog.report_model([call], tmp_path, "2.4", ["bash", "run.sh"]))
    assert '| run.sh | change "nvidia-smi" to "cnmon (at run time) (x2)" |' in md


def test_monitor_stand_ins_come_from_the_launch_table(tmp_path):
    assert monitors.renamed_programs()["nvidia-smi"] == "cnmon"
    verify_bin = monitors.install(tmp_path / "v", "verify")
    assert sorted(os.listdir(verify_bin)) == ["cnmon"]  # a converted script calls cnmon only
    run_bin = monitors.install(tmp_path / "r", "run")
    events = tmp_path / "events.jsonl"
    env = {**os.environ, "MLU_EMU_DEVICE_COUNT": "3", "MLU_VISIBLE_DEVICES": "0,2",
           "GPU2MLU_VERIFY_EVENTS": str(events), "PATH": f"{run_bin}{os.pathsep}{os.environ['PATH']}"}
    out = subprocess.run(["sh", "-c", "nvidia-smi"], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert "MLU 0:" in out and "MLU 2:" in out and "MLU 1:" not in out
    [rec] = [json.loads(line) for line in events.read_text().splitlines()]
    assert rec["api"] == "nvidia-smi" and rec["to"] == "cnmon" and rec["where"].startswith("sh -c")


def test_run_cli_refuses_bad_setups_with_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_cli.main(["--log", str(tmp_path), "--", sys.executable, "-c", "pass"]) == 2
    assert f"{tmp_path} is a folder" in capsys.readouterr().err
    (tmp_path / "f").write_text("")
    assert run_cli.main(["--report", str(tmp_path / "f"), "--", "true"]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err
    assert run_cli.main(["--devices", "0", "--", "true"]) == 2
    try:
        run_cli.main([])
    except SystemExit as exc:
        assert exc.code == 2
    assert "no COMMAND given" in capsys.readouterr().err


def test_an_unwritable_log_exits_3_after_the_summary(emulator, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_cli.main(["--log", "/proc/no-such-folder/calls.json", "--", "true"]) == 3
    err = capsys.readouterr().err
    assert "gpu2mlu run: command exited with 0" in err  # the run happened: its summary is shown
    assert err.rstrip().endswith("cannot write /proc/no-such-folder: No such file or directory")
