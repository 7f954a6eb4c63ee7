"""How much slower is converting a code base with gpu2mlu than copying it?

Builds one tree from the pinned corpus packages (tests/corpus.py), then times,
interleaved in the same run, N repetitions of:

  cp       subprocess `cp -r TREE OUT` (the floor: just moving the bytes)
  gpu2mlu  subprocess `python -m gpu2mlu -i TREE -o OUT --force -q`
  regex    the old tool's approach: per .py file, line-by-line re.sub
           cuda->mlu and nccl->cncl, write; copy the other files
  ast      ast.parse of every .py file, nothing written

Every method runs as a fresh Python/cp process, so start-up cost counts for
all. Reported are medians and ratios to cp from this one run; absolute times
depend on the machine and are never asserted. See benchmarks/README.md.

    python benchmarks/convert_vs_copy.py [--reps 5] [--max-ratio X]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CUDA_OR_NCCL = re.compile(rb"cuda|nccl", re.IGNORECASE)
TORCH_IMPORT = re.compile(rb"^[ \t]*(?:from[ \t]+torch\b|import[ \t][^\n#]*\btorch\b)", re.MULTILINE)


# ------------------------------------------------ worker modes (run as subprocesses)

def regex_convert(src: str, dst: str) -> None:
    """Mimic the old regex tool: rewrite .py files line by line, copy the rest."""
    cuda, nccl = re.compile("cuda"), re.compile("nccl")
    for dirpath, _, filenames in os.walk(src):
        outdir = os.path.join(dst, os.path.relpath(dirpath, src))
        os.makedirs(outdir, exist_ok=True)
        for name in filenames:
            s, d = os.path.join(dirpath, name), os.path.join(outdir, name)
            if not name.endswith(".py"):
                shutil.copyfile(s, d)
                continue
            # newline="" keeps CRLF files intact; surrogateescape survives bad bytes.
            with open(s, encoding="utf-8", errors="surrogateescape", newline="") as f:
                lines = f.readlines()
            lines = [nccl.sub("cncl", cuda.sub("mlu", line)) for line in lines]
            with open(d, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
                f.writelines(lines)


def ast_parse_all(src: str) -> None:
    """Parse every .py file; the unavoidable core of any AST-based converter."""
    for dirpath, _, filenames in os.walk(src):
        for name in filenames:
            if name.endswith(".py"):
                with open(os.path.join(dirpath, name), "rb") as f:
                    data = f.read()
                try:
                    ast.parse(data)
                except (SyntaxError, ValueError):
                    pass


WORKERS = {"_regex": lambda a: regex_convert(a[0], a[1]), "_ast": lambda a: ast_parse_all(a[0])}


# ------------------------------------------------ orchestration

def load_corpus():
    """tests/corpus.py is a helper module, not an installed package."""
    sys.path.insert(0, os.path.join(REPO, "tests"))
    import corpus

    return corpus


def build_tree(corpus, names: list[str], dest: str) -> None:
    """Copy the unpacked corpus packages side by side: dest/NAME-VERSION/..."""
    for name in names:
        src = corpus.corpus_tree(name)
        shutil.copytree(src, os.path.join(dest, src.name))


def describe(tree: str) -> dict:
    files = py = size = cudaish = torchy = 0
    for dirpath, _, filenames in os.walk(tree):
        for name in filenames:
            path = os.path.join(dirpath, name)
            files += 1
            size += os.path.getsize(path)
            if name.endswith(".py"):
                py += 1
                with open(path, "rb") as f:
                    data = f.read()
                cudaish += bool(CUDA_OR_NCCL.search(data))
                torchy += bool(TORCH_IMPORT.search(data))
    return {"files": files, "py": py, "bytes": size,
            "cuda_frac": cudaish / max(py, 1), "torch_frac": torchy / max(py, 1)}


def child_env() -> dict:
    # Make `python -m gpu2mlu` find this checkout even when it is not installed.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO, env.get("PYTHONPATH")) if p)
    return env


def commands(tree: str, out: str, jobs: int | None) -> dict[str, list[str]]:
    me = os.path.abspath(__file__)
    g2m = [sys.executable, "-m", "gpu2mlu", "-i", tree, "-o", out, "--force", "-q"]
    if jobs:
        g2m += ["--jobs", str(jobs)]
    return {
        "cp": ["cp", "-r", tree, out],
        "gpu2mlu": g2m,
        "regex": [sys.executable, me, "_regex", tree, out],
        "ast": [sys.executable, me, "_ast", tree],
    }


def run_timed(cmd: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, proc


def gpu2mlu_available(env: dict) -> bool:
    probe = [sys.executable, "-c", "import gpu2mlu.cli"]
    return subprocess.run(probe, env=env, capture_output=True).returncode == 0


def read_timing(out: str) -> dict:
    try:
        with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
            timing = json.load(f).get("summary", {}).get("timing", {})
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in timing.items() if isinstance(v, (int, float))}


def median(xs: list[float]) -> float:
    xs = sorted(xs)
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


class BenchError(RuntimeError):
    pass


def measure(methods: list[str], cmds: dict, out: str, reps: int, warmup: int, env: dict):
    """Run every method once per repetition, rotating the order so none always
    goes first (page cache, CPU frequency). Returns (times, gpu2mlu timings)."""
    times = {m: [] for m in methods}
    timings = []
    for rep in range(-warmup, reps):
        shift = rep % len(methods)
        for method in methods[shift:] + methods[:shift]:
            elapsed, proc = run_timed(cmds[method], env)
            ok = proc.returncode == 0 or (method == "gpu2mlu" and proc.returncode == 1)
            if not ok:
                raise BenchError(f"{method} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
            if rep >= 0:
                times[method].append(elapsed)
                if method == "gpu2mlu":
                    timings.append(read_timing(out))
            if method == "gpu2mlu" and proc.returncode == 1 and rep == -warmup:
                print("note: gpu2mlu exited 1 (some files skipped); see report.json")
            shutil.rmtree(out, ignore_errors=True)  # outside the timed region
    return times, timings


def print_description(names: list[str], d: dict) -> None:
    print(f"tree: {', '.join(names)}")
    print(f"  files {d['files']}, .py files {d['py']}, {d['bytes'] / 1e6:.1f} MB")
    print(f"  .py files mentioning cuda/nccl: {d['cuda_frac']:.1%}; importing torch: {d['torch_frac']:.1%}")


def print_results(times: dict, reps: int) -> None:
    base = median(times["cp"])
    print(f"\nmedian of {reps} interleaved runs (wall time; ratio = median / median cp):")
    print(f"  {'method':<8} {'median s':>9} {'min s':>8} {'max s':>8} {'x cp':>7}")
    for method, xs in times.items():
        print(f"  {method:<8} {median(xs):9.3f} {min(xs):8.3f} {max(xs):8.3f} {median(xs) / base:7.2f}")
    if "gpu2mlu" in times:
        print(f"  gpu2mlu / ast (parsing alone) = {ratio(times, 'gpu2mlu', 'ast'):.2f}")


def ratio(times: dict, method: str, base: str) -> float:
    return median(times[method]) / median(times[base])


def print_timing(timings: list[dict], wall: float) -> None:
    keys = sorted({k for t in timings for k in t}, key=lambda k: (k == "total", k))
    if not keys:
        print("\ngpu2mlu: report.json has no summary.timing")
        return
    print(f"\nwhere gpu2mlu's time goes (report.json summary.timing, median; stages are "
          f"summed over worker processes, so they can add up to more than wall {wall:.3f}s):")
    for key in keys:
        vals = [t[key] for t in timings if key in t]
        print(f"  {key:<8} {median(vals):8.3f} s")


def parse_args(argv):
    p = argparse.ArgumentParser(description="gpu2mlu conversion time vs a plain copy.")
    p.add_argument("--reps", type=int, default=5, help="timed repetitions (default 5)")
    p.add_argument("--warmup", type=int, default=1, help="untimed rounds first (default 1)")
    p.add_argument("--packages", nargs="+", metavar="NAME",
                   help="corpus packages (default: the four of CORPUS; the acceptance corpus's "
                        "names work too)")
    p.add_argument("--acceptance", action="store_true",
                   help="the acceptance corpus (tests/corpus.py ACCEPTANCE) instead of CORPUS")
    p.add_argument("--jobs", type=int, help="pass --jobs N to gpu2mlu")
    p.add_argument("--max-ratio", type=float, metavar="X",
                   help="exit 1 if median gpu2mlu / median cp exceeds X")
    p.add_argument("--max-ast-ratio", type=float, metavar="X",
                   help="exit 1 if median gpu2mlu / median ast exceeds X (less storage-dependent)")
    p.add_argument("--tmpdir", help="parent for the scratch dir (default: system temp)")
    args = p.parse_args(argv)
    if args.reps < 1:
        p.error("--reps must be at least 1")
    return args


def main(argv=None) -> int:
    corpus = load_corpus()
    args = parse_args(argv)
    names = args.packages or list(corpus.ACCEPTANCE if args.acceptance else corpus.CORPUS)
    env = child_env()
    methods = ["cp", "gpu2mlu", "regex", "ast"]
    if not gpu2mlu_available(env):
        print("note: gpu2mlu is not importable here; measuring cp, regex and ast only")
        methods.remove("gpu2mlu")

    # Turn SIGTERM (e.g. from `timeout`) into SystemExit so the finally below
    # removes the scratch dir and subprocess.run kills the running child.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = tempfile.mkdtemp(prefix="gpu2mlu-bench-", dir=args.tmpdir)
    try:
        tree, out = os.path.join(work, "tree"), os.path.join(work, "out")
        build_tree(corpus, names, tree)
        print_description([f"{n}=={corpus.pinned(n)}" for n in names], describe(tree))
        times, timings = measure(methods, commands(tree, out, args.jobs), out,
                                 args.reps, args.warmup, env)
    except (BenchError, corpus.CorpusError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print_results(times, args.reps)
    if "gpu2mlu" in times:
        print_timing(timings, median(times["gpu2mlu"]))
    limits = [("cp", args.max_ratio), ("ast", args.max_ast_ratio)]
    return max(check_limit(times, base, limit) for base, limit in limits)


def check_limit(times: dict, base: str, limit: float | None) -> int:
    """0 if there is no limit or gpu2mlu/base is within it, else 1 (printed)."""
    if limit is None:
        return 0
    if "gpu2mlu" not in times:
        print(f"FAIL: a gpu2mlu/{base} limit of {limit} was given but gpu2mlu could not be run")
        return 1
    r = ratio(times, "gpu2mlu", base)
    print(f"{'FAIL' if r > limit else 'ok'}: gpu2mlu/{base} = {r:.2f} (limit {limit})")
    return int(r > limit)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in WORKERS:
        WORKERS[sys.argv[1]](sys.argv[2:])
        sys.exit(0)
    sys.exit(main())
