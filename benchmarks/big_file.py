"""One big Python file: does gpu2mlu stay linear in time and memory, and report.html small?

Generates a Python file of many short CUDA-using lines (default 5 MB, two changes every three
lines), and one a quarter of its size, then measures for each, every method in a fresh process:

  gpu2mlu  `python -m gpu2mlu -i DIR -o OUT --force -q`: wall and CPU time, peak RSS
  cp       `cp FILE OUT`: the floor
  ast      `ast.parse` of the file in a fresh interpreter: time and peak RSS, the least any
           parser-based converter pays

and reports ratios from this one run: gpu2mlu / ast and gpu2mlu / cp in time, peak RSS per MB of
input and against ast's, the size of report.html, and the growth from the quarter file to the full
one in CPU time and peak RSS (about 4 for linear, 16 for quadratic). Absolute times are never asserted. See README.md.

    python benchmarks/big_file.py [--mb 5] [--reps 1] [--max-growth X] [--max-html-mb X]
"""
from __future__ import annotations

import argparse
import ast
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A mix of CUDA uses as real code has them; "w = a + b" stays as it is.
BLOCK = ('x = torch.cuda.FloatTensor(3)\ny = t.cuda()\nw = a + b\nz = torch.device("cuda:0")\n'
         'n = torch.cuda.device_count() if torch.cuda.is_available() else 0\n')


# ------------------------------------------------ worker modes (run as subprocesses)

def _measure(argv: list[str]) -> None:
    """Run a command; print its wall time, CPU time and peak RSS (KiB): this process has no other child."""
    start = time.perf_counter()
    code = subprocess.run(argv, stdout=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"{wall} {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss} {code}")


def _ast(argv: list[str]) -> None:
    with open(argv[0], "rb") as f:
        ast.parse(f.read())


WORKERS = {"_measure": _measure, "_ast": _ast}


# ------------------------------------------------ orchestration

def write_file(path: str, size: int) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write("import torch\n" + BLOCK * max(1, size // len(BLOCK)))


def child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO, env.get("PYTHONPATH")) if p)
    return env


def measure(cmd: list[str], env: dict) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of `cmd` in a fresh process."""
    me = os.path.abspath(__file__)
    out = subprocess.run([sys.executable, me, "_measure", *cmd], env=env, capture_output=True, text=True, check=True)
    wall, cpu, rss, code = out.stdout.split()
    if int(code) not in (0, 1):
        raise RuntimeError(f"{cmd[:4]} exited {code}")
    return float(wall), float(cpu), int(rss) / 1024


def run_size(work: str, label: str, size: int, reps: int, env: dict) -> dict:
    src = os.path.join(work, label)
    os.makedirs(src)
    path = os.path.join(src, "big.py")
    write_file(path, size)
    out = os.path.join(work, label + "_out")
    cmds = {
        "gpu2mlu": [sys.executable, "-m", "gpu2mlu", "-i", src, "-o", out, "--force", "-q"],
        "cp": ["cp", path, os.path.join(work, "copy.py")],
        "ast": [sys.executable, os.path.abspath(__file__), "_ast", path],
    }
    best: dict[str, tuple[float, float, float]] = {}
    for _ in range(reps):
        for method, cmd in cmds.items():
            now = measure(cmd, env)
            old = best.get(method)
            best[method] = tuple(map(min, old, now)) if old else now
    result = {"bytes": os.path.getsize(path), "html": os.path.getsize(os.path.join(out, "report.html")),
              "patch": os.path.getsize(os.path.join(out, "changes.patch")), **best}
    with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
        result["changes"] = f.read().count('"rule":')
    return result


def print_size(label: str, r: dict) -> None:
    mb = r["bytes"] / 1e6
    g, a, c = r["gpu2mlu"], r["ast"], r["cp"]
    print(f"\n{label}: {mb:.2f} MB, {r['changes']:,} changes")
    print(f"  {'method':<8} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12}")
    for method in ("gpu2mlu", "ast", "cp"):
        print(f"  {method:<8} {r[method][0]:8.2f} {r[method][1]:8.2f} {r[method][2]:12.0f}")
    print(f"  gpu2mlu / ast: wall {g[0] / a[0]:.2f}, CPU {g[1] / a[1]:.2f}, peak RSS {g[2] / a[2]:.2f}; "
          f"gpu2mlu / cp: wall {g[0] / c[0]:.0f}")
    print(f"  gpu2mlu peak RSS per MB of input: {g[2] / mb:.0f} MB (ast alone: {a[2] / mb:.0f} MB)")
    print(f"  report.html {r['html'] / 1e6:.2f} MB; changes.patch {r['patch'] / 1e6:.1f} MB")


def parse_args(argv):
    p = argparse.ArgumentParser(description="gpu2mlu on one big Python file: linearity and report size.")
    p.add_argument("--mb", type=float, default=5.0, help="size of the big file in MB (default 5)")
    p.add_argument("--reps", type=int, default=1, help="runs per method; the fastest counts (default 1)")
    p.add_argument("--max-growth", type=float, metavar="X",
                   help="exit 1 if gpu2mlu's time or peak RSS grows more than X from the quarter file")
    p.add_argument("--max-html-mb", type=float, metavar="X", help="exit 1 if report.html exceeds X MB")
    p.add_argument("--tmpdir", help="parent for the scratch dir (default: system temp)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    env = child_env()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = tempfile.mkdtemp(prefix="gpu2mlu-big-", dir=args.tmpdir)
    try:
        size = int(args.mb * 1e6)
        quarter = run_size(work, "quarter", size // 4, args.reps, env)
        full = run_size(work, "full", size, args.reps, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_size("quarter file", quarter)
    print_size("full file", full)
    # CPU time, not wall time: it does not count the time other processes take on a busy machine
    time_growth = full["gpu2mlu"][1] / quarter["gpu2mlu"][1]
    rss_growth = full["gpu2mlu"][2] / quarter["gpu2mlu"][2]
    ast_growth = full["ast"][1] / quarter["ast"][1]
    print(f"\ngrowth from the quarter file (4 = linear, 16 = quadratic): gpu2mlu CPU time {time_growth:.2f}, "
          f"peak RSS {rss_growth:.2f} (ast.parse CPU time {ast_growth:.2f})")
    failed = 0
    if args.max_growth is not None:
        bad = max(time_growth, rss_growth) > args.max_growth
        print(f"{'FAIL' if bad else 'ok'}: growth {max(time_growth, rss_growth):.2f} (limit {args.max_growth})")
        failed |= bad
    if args.max_html_mb is not None:
        bad = full["html"] / 1e6 > args.max_html_mb
        print(f"{'FAIL' if bad else 'ok'}: report.html {full['html'] / 1e6:.2f} MB (limit {args.max_html_mb})")
        failed |= bad
    return int(failed)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in WORKERS:
        WORKERS[sys.argv[1]](sys.argv[2:])
        sys.exit(0)
    sys.exit(main())
