"""Rewrite the golden files from the current converter: `python tests/golden/regenerate.py`.

Review the resulting diff like any code change: it is the converter's behaviour on the sample.
"""
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent
SAMPLES = {"imagenet": ROOT / "examples" / "imagenet"}
# Reports that hold absolute paths or timings; changes.patch is stable and stays in the golden tree.
UNSTABLE = ("report.md", "report.json", "report.html")


def expected_rows(report: dict) -> dict:
    """The parts of report.json that do not depend on paths, machine or time."""
    return {
        "changes": report["changes"],
        "findings": report["findings"],
        "skipped": report["skipped"],
        "files": report["summary"]["files"],
        "files_by_kind": report["summary"]["files_by_kind"],
        "kinds": {f["file"]: [f["kind"], f["status"]] for f in report["files"]},
        "changes_by_rule": report["summary"]["changes_by_rule"],
        "findings_by_id": report["summary"]["findings_by_id"],
        "conversion": report["summary"]["conversion"],
        "conversion_by_file": {f["file"]: f["conversion"] for f in report["files"] if "conversion" in f},
    }


def convert(sample: Path, out: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    from gpu2mlu.cli import main
    assert main(["-i", str(sample), "-o", str(out), "-q"]) == 0
    return json.loads((out / "report.json").read_text())


def main() -> None:
    for name, sample in SAMPLES.items():
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out"
            report = convert(sample, out)
            target = GOLDEN / name
            shutil.rmtree(target, ignore_errors=True)
            (target / "tree").mkdir(parents=True)
            for path in sorted(out.rglob("*")):
                if path.is_file() and path.name not in UNSTABLE:
                    dest = target / "tree" / path.relative_to(out)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, dest)
            (target / "report.json").write_text(json.dumps(expected_rows(report), indent=2, ensure_ascii=False) + "\n")
            print(f"wrote {target}")


if __name__ == "__main__":
    main()
