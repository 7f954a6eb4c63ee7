"""The whole OpInfo sweep: every op of PyTorch's op_db, CPU vs the emulated MLU.

    python benchmarks/opinfo_sweep.py [--dtypes float32,float16,bfloat16] [--jobs N]
        [--json docs/fidelity.json] [--markdown docs/fidelity.md]

Runs tests/verify/opinfo_sweep.py over every op (forward and backward, each
dtype), writes the JSON results and the generated docs/fidelity.md, and then
holds every result to tests/verify/fidelity.toml [opinfo.DTYPE]: it prints each
op that crashed, errored or left its documented tolerance (a known gap in the
table is reported, not counted) and exits 1 if there is any.  The test suite
runs a fixed subset of 70 ops (tests/verify/test_opinfo.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "verify"))

import fidelity  # noqa: E402
import opinfo_sweep  # noqa: E402


def check(results: dict, dtypes) -> list[str]:
    """Results outside the table: crash, error, or beyond the documented tolerance."""
    table = fidelity.load_table().get("opinfo", {})
    bad = []
    for item, res in sorted(results.items()):
        op, dtype = item.split("|")
        if dtype not in dtypes or res.get("status") == "unsupported":
            continue
        spec = fidelity.expectation(table.get(dtype, {}), op)
        ok, why = fidelity.within(res, spec)
        if "known_gap" in spec:
            if ok:
                bad.append(f"{op} {dtype}: known gap fixed ({spec['known_gap']}): update the table")
            continue
        if not ok:
            bad.append(f"{op} {dtype}: {why}")
    return bad


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dtypes", default=",".join(opinfo_sweep.DTYPES))
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--json", default=str(REPO / "docs" / "fidelity.json"))
    p.add_argument("--markdown", default=str(REPO / "docs" / "fidelity.md"))
    p.add_argument("--from-json", help="skip the sweep: re-render and re-check this JSON")
    a = p.parse_args()
    dtypes = a.dtypes.split(",")
    if a.from_json:
        data = json.loads(Path(a.from_json).read_text())
    else:
        started = time.perf_counter()
        opinfo_sweep.main(["--dtypes", a.dtypes, "--jobs", str(a.jobs), "--json", a.json])
        data = json.loads(Path(a.json).read_text())
        print(f"total {time.perf_counter() - started:.0f} s")
    Path(a.markdown).write_text(opinfo_sweep.markdown(data["results"], dtypes, data["seconds"],
                                                      data["torch"]))
    bad = check(data["results"], dtypes)
    for line in bad:
        print("OUTSIDE THE TABLE:", line)
    print(f"{len(bad)} result(s) outside tests/verify/fidelity.toml")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
