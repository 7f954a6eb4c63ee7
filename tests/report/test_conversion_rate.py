"""The conversion rate: sites converted automatically against sites that need a human, per file
and for the run, in report.json and report.md."""
import json

from gpu2mlu.report import RunResult, summarize
from gpu2mlu.report import json as json_report
from gpu2mlu.report import markdown
from gpu2mlu.results import CONVERTED, COPIED, UNCHANGED, Change, FileResult, Finding


def _run() -> RunResult:
    files = [
        FileResult("train.py", CONVERTED, kind="python", changes=[
            Change(1, "import-torch-mlu", "", "import torch_mlu", added=True),  # not a CUDA site
            Change(2, "tensor-cuda-method", "x.cuda()", "x.mlu()"),
            Change(3, "device-literal", "'cuda'", "'mlu'"),
            Change(3, "distributed", "'nccl'", "'cncl'"),
        ], findings=[Finding(4, "GM201", "DataParallel", "use DDP")]),
        FileResult("requirements.txt", UNCHANGED, kind="requirements",
                   findings=[Finding(1, "GM310", "apex", "drop it")]),
        FileResult("README.md", COPIED),
    ]
    run = RunResult("/in", "/out", "2.4", files)
    run.summary = summarize(run)
    return run


def test_summary_counts_sites_and_the_rate():
    assert _run().summary["conversion"] == {"automatic": 3, "manual": 2, "rate": 0.6}


def test_json_has_the_rate_per_file_with_sites_and_in_the_summary():
    report = json.loads(json_report.render(_run()))
    rows = {f["file"]: f for f in report["files"]}
    assert rows["train.py"]["conversion"] == {"automatic": 3, "manual": 1, "rate": 0.75}
    assert rows["requirements.txt"]["conversion"] == {"automatic": 0, "manual": 1, "rate": 0.0}
    assert "conversion" not in rows["README.md"]
    assert report["summary"]["conversion"]["rate"] == 0.6


def test_markdown_shows_the_rate_in_the_summary_and_per_file():
    text = markdown.render(_run())
    assert "- Conversion rate: 60.0% (3 sites converted automatically, 2 need a human)" in text
    assert "| train.py | 3 | 1 | 75.0% |" in text
    assert "| requirements.txt | 0 | 1 | 0.0% |" in text
    assert "README.md |" not in text


def test_no_site_at_all():
    run = RunResult("/in", "/out", "2.4", [FileResult("a.py", UNCHANGED, kind="python")])
    run.summary = summarize(run)
    assert run.summary["conversion"] == {"automatic": 0, "manual": 0, "rate": None}
    text = markdown.render(run)
    assert "- Conversion rate: no CUDA site found" in text
    assert "Conversion Rate by File" not in text
