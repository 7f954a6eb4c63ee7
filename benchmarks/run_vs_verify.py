"""Cost of `gpu2mlu run` against `gpu2mlu verify` on the shipped sample.

The sample (examples/imagenet) runs unconverted under `gpu2mlu run`, and converted by gpu2mlu
under `gpu2mlu verify`, with the same arguments, interleaved REPS times. Each time is the wall
time of the whole command (start-up, the emulator, the training steps, the summary), which is
what a user waits for. Prints both medians and their ratio (target <= 1.2x).

    python benchmarks/run_vs_verify.py [--reps 5] [--steps 3] [--max-ratio X]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "imagenet"


def _time(cmd, cwd, env) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--steps", type=int, default=3, help="training steps per epoch (default 3)")
    ap.add_argument("--max-ratio", type=float, help="exit 1 when run/verify is above this")
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}
    gpu2mlu = [sys.executable, "-m", "gpu2mlu"]
    program = ["python", "main.py", "--epochs", "1", "--steps-per-epoch", str(args.steps),
               "--gpu", "0", "-j", "0"]
    with tempfile.TemporaryDirectory() as tmp:
        original, converted = Path(tmp) / "imagenet", Path(tmp) / "imagenet_mlu"
        subprocess.run(["cp", "-r", str(SAMPLE), str(original)], check=True)
        subprocess.run([*gpu2mlu, "-i", str(original), "-o", str(converted)], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        # one untimed round each: builds the emulator if needed, warms the file cache
        _time([*gpu2mlu, "run", "--", *program], original, env)
        _time([*gpu2mlu, "verify", "--", *program], converted, env)
        run_times, verify_times = [], []
        for _ in range(args.reps):  # interleaved, so load changes hit both alike
            run_times.append(_time([*gpu2mlu, "run", "--", *program], original, env))
            verify_times.append(_time([*gpu2mlu, "verify", "--", *program], converted, env))
    run, verify = statistics.median(run_times), statistics.median(verify_times)
    ratio = run / verify
    print(f"sample: {' '.join(program)}, {args.reps} reps")
    print(f"gpu2mlu verify (converted)  median {verify:.2f} s  {[round(t, 2) for t in verify_times]}")
    print(f"gpu2mlu run (unconverted)   median {run:.2f} s  {[round(t, 2) for t in run_times]}")
    print(f"ratio of medians: {ratio:.2f}x (target <= 1.2x)")
    return 1 if args.max_ratio is not None and ratio > args.max_ratio else 0


if __name__ == "__main__":
    raise SystemExit(main())
