"""The project's own mode strings convert alike in every file kind, or in none (issue 11, item 8).

train.py declares `--prefetch-mode` with choices ["cpu", "cuda"]; the Python converter turns the
choices into ["cpu", "mlu"], the YAML config's `prefetch_mode: cuda` becomes `mlu`, so run.sh's
`--prefetch-mode cuda` must become `mlu` too, or the converted launcher fails with "invalid choice".
"""
import json

import pytest

from gpu2mlu.cli import main
from gpu2mlu.options import device_options
from gpu2mlu.settings import Settings

TRAIN_PY = b'''import argparse
import torch

p = argparse.ArgumentParser()
p.add_argument("--prefetch-mode", "--prefetch_mode", choices=["cpu", "cuda"], default="cpu")
p.add_argument("--impl", choices=["cuda", "ref"], default="ref")
p.add_argument("--comm", default="nccl")
p.add_argument("--mode", choices=["train", "eval"])
args = p.parse_args()
if args.prefetch_mode == "cuda":
    torch.zeros(1).cuda()
'''
RUN_SH = b'''#!/bin/bash
python train.py --prefetch-mode cuda --impl cuda --comm nccl
python train.py --prefetch_mode=cuda prefetch_mode=cuda
python train.py --mode cuda
python other.py --prefetch cuda
'''
RUN_SH_MLU = b'''#!/bin/bash
python train.py --prefetch-mode mlu --impl mlu --comm cncl
python train.py --prefetch_mode=mlu prefetch_mode=mlu
python train.py --mode cuda
python other.py --prefetch cuda
'''
TRAIN_YAML = b"prefetch_mode: cuda\nmode: train\n"


def make_project(root, extra=()):
    files = {"train.py": TRAIN_PY, "run.sh": RUN_SH, "configs/train.yaml": TRAIN_YAML, **dict(extra)}
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def convert(src, out, *args):
    assert main(["-q", "-i", str(src), "-o", str(out), *args]) == 0
    return json.loads((out / "report.json").read_text())


def test_python_shell_and_yaml_agree_on_the_projects_own_option(tmp_path):
    out = tmp_path / "out"
    report = convert(make_project(tmp_path / "proj"), out)
    train = (out / "train.py").read_bytes()
    assert b'choices=["cpu", "mlu"]' in train and b'args.prefetch_mode == "mlu"' in train
    assert b'choices=["mlu", "ref"]' in train
    assert (out / "configs/train.yaml").read_bytes() == b"prefetch_mode: mlu\nmode: train\n"
    assert (out / "run.sh").read_bytes() == RUN_SH_MLU
    rows = {(c["file"], c["line"], c["rule"]) for c in report["changes"]}
    assert {("run.sh", 2, "device-literal"), ("run.sh", 2, "distributed"), ("run.sh", 3, "device-literal")} <= rows
    findings = [(f["file"], f["line"], f["id"]) for f in report["findings"]]
    assert ("train.py", 6, "GM230") in findings  # --impl: 'cuda' picks the project's CUDA kernels


def test_a_second_run_changes_nothing(tmp_path):
    convert(make_project(tmp_path / "proj"), tmp_path / "once")
    report = convert(tmp_path / "once", tmp_path / "twice")
    assert report["changes"] == []
    assert (tmp_path / "twice" / "run.sh").read_bytes() == RUN_SH_MLU


def test_an_excluded_python_file_keeps_its_flags_unconverted_everywhere(tmp_path):
    out = tmp_path / "out"
    convert(make_project(tmp_path / "proj"), out, "--exclude", "train.py")
    assert (out / "train.py").read_bytes() == TRAIN_PY
    run = (out / "run.sh").read_bytes()
    assert b"--prefetch-mode cuda --impl cuda" in run and b"prefetch_mode=cuda" in run


def test_worker_processes_share_the_projects_options(tmp_path):
    filler = {f"data/{i:03}.txt": b"x\n" for i in range(420)}  # past the parallel threshold
    out = tmp_path / "out"
    convert(make_project(tmp_path / "proj", filler), out, "-j", "2")
    assert (out / "run.sh").read_bytes() == RUN_SH_MLU


def test_the_diff_preview_agrees_with_the_written_tree(tmp_path, capsys):
    src = make_project(tmp_path / "proj")
    assert main(["--diff", "-i", str(src)]) == 0
    patch = capsys.readouterr().out
    assert "+python train.py --prefetch-mode mlu --impl mlu --comm cncl" in patch


@pytest.mark.parametrize("source, expected", [
    pytest.param('p.add_argument("--prefetch-mode", choices=["cpu", "cuda"])', ("--prefetch-mode", "prefetch_mode"), id="choices"),
    pytest.param('p.add_argument("-d", "--dev", default="cuda:0")', ("--dev", "-d", "dev"), id="default"),
    pytest.param('p.add_argument("--x", dest="where", default="cuda" if ok else "cpu")', ("--x", "where"), id="conditional-default"),
    pytest.param('p.add_argument("--dist", choices=["gloo", "nccl"])', ("--dist", "dist"), id="backend"),
    pytest.param('p.add_argument("--mode", choices=["train", "eval"], help="cuda")', (), id="no-device-value"),
    pytest.param('p.add_argument("--cuda", action="store_true")', (), id="flag-named-cuda"),
    pytest.param('p.add_argument("mode", choices=["cpu", "cuda"])', (), id="positional"),
    pytest.param('p.add_argument("--x", choices=["cpu", "cuda"]', (), id="does-not-parse"),
])
def test_device_options_read_from_add_argument(source, expected):
    assert device_options([source + "\n"], Settings()) == tuple(sorted(expected))
