"""The shipped sample converts to exactly the checked-in tree and report rows."""
import json
import shutil
import subprocess

import pytest

from tests.golden.regenerate import GOLDEN, SAMPLES, UNSTABLE, convert, expected_rows


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_matches_golden(name, tmp_path):
    out = tmp_path / "out"
    report = convert(SAMPLES[name], out)
    golden_tree = GOLDEN / name / "tree"
    produced = {p.relative_to(out) for p in out.rglob("*") if p.is_file() and p.name not in UNSTABLE}
    expected = {p.relative_to(golden_tree) for p in golden_tree.rglob("*") if p.is_file()}
    assert produced == expected
    for rel in sorted(expected):
        assert (out / rel).read_bytes() == (golden_tree / rel).read_bytes(), f"{rel} differs from the golden copy"
    golden_report = json.loads((GOLDEN / name / "report.json").read_text())
    assert expected_rows(report) == golden_report


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_second_run_is_identity(name, tmp_path):
    first = tmp_path / "first"
    convert(SAMPLES[name], first)
    report = convert(first, tmp_path / "second")
    assert report["changes"] == []


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_patch_applies_to_the_original(name, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(SAMPLES[name], copy)
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    patch = GOLDEN / name / "tree" / "changes.patch"
    subprocess.run(["git", "apply", str(patch)], cwd=copy, check=True, capture_output=True)
    golden_tree = GOLDEN / name / "tree"
    for path in golden_tree.rglob("*"):
        if path.is_file() and path.name != "changes.patch":
            assert (copy / path.relative_to(golden_tree)).read_bytes() == path.read_bytes(), path
