"""Overhead of `gpu2mlu verify`: one small training loop, emulated MLU vs plain CPU.

Both variants run in separate processes (the emulated one exactly as verify
runs it), interleaved, REPS times each; each process times only its training
steps (after a warm-up step).  Prints both medians and their ratio (target
<= 1.5x).

A third, reference variant runs plain CPU with glibc told to keep freed memory
(MALLOC_TRIM_THRESHOLD_, MALLOC_MMAP_THRESHOLD_).  Plain CPU page-faults on
memory malloc gave back to the system; the emulator's device memory is cached
and does not.  Against the reference, both run without those faults, so that
ratio is the emulator's own cost (dispatch, aliasing, the autograd device thread).

    python benchmarks/verify_overhead.py [--reps 5] [--steps 20] [--batch 16] [--width 16]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

LOOP = r"""
import sys, time, torch
device, steps, batch, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if device == "mlu":
    import torch_mlu
torch.manual_seed(0)
torch.set_num_threads(1)
def block(cin, cout, stride):
    return torch.nn.Sequential(torch.nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
                               torch.nn.BatchNorm2d(cout), torch.nn.ReLU())
net = torch.nn.Sequential(block(3, width, 1), block(width, width, 1), block(width, 2 * width, 2),
                          torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                          torch.nn.Linear(2 * width, 10)).to(device)
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, foreach=True)
x = torch.randn(batch, 3, 32, 32).to(device)
y = torch.randint(0, 10, (batch,)).to(device)
def step():
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
    return loss
step().item()
start = time.perf_counter()
for _ in range(steps):
    loss = step()
loss.item()
print(f"TIME {time.perf_counter() - start:.6f}")
"""


# Large enough that glibc neither trims the heap nor maps the model's tensors one by one.
KEEP_MEMORY = {"MALLOC_TRIM_THRESHOLD_": str(1 << 32), "MALLOC_MMAP_THRESHOLD_": str(1 << 25)}


def _time(cmd, env) -> float:
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return float(out.split("TIME")[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--width", type=int, default=16)
    args = ap.parse_args()

    from gpu2mlu.verify import api_surface, build, runner

    lib, built = build.ensure_built()
    if built:
        print(f"built the emulator in {built:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "loop.py"
        script.write_text(LOOP)
        api = Path(tmp) / "api.json"
        api_surface.write(api)
        mlu_env = runner.child_env(runner.VerifyConfig(("python",)), lib, api,
                                   Path(tmp) / "events.jsonl")
        cpu_env = dict(os.environ)
        keep_env = {**cpu_env, **KEEP_MEMORY}
        shape = [str(args.steps), str(args.batch), str(args.width)]
        cpu_times, keep_times, mlu_times = [], [], []
        for _ in range(args.reps):  # interleaved, so load changes hit all alike
            cpu_times.append(_time([sys.executable, str(script), "cpu", *shape], cpu_env))
            mlu_times.append(_time([sys.executable, str(script), "mlu", *shape], mlu_env))
            keep_times.append(_time([sys.executable, str(script), "cpu", *shape], keep_env))
    cpu, keep, mlu = (statistics.median(t) for t in (cpu_times, keep_times, mlu_times))
    print(f"{args.steps} steps, batch {args.batch}, width {args.width}, {args.reps} reps")
    print(f"plain CPU                  median {cpu:.3f} s  {[round(t, 3) for t in cpu_times]}")
    print(f"plain CPU, malloc keeps    median {keep:.3f} s  {[round(t, 3) for t in keep_times]}")
    print(f"verify (MLU)               median {mlu:.3f} s  {[round(t, 3) for t in mlu_times]}")
    print(f"ratio of medians: {mlu / cpu:.2f}x (target <= 1.5x); "
          f"against the reference: {mlu / keep:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
