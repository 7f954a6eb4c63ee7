"""`gpu2mlu verify --compare ORIGINAL_DIR -- COMMAND`: the original project under `run`, the
converted one under `verify`, and whether they agree.  No printing: cli.py shows what this returns.

The same program converted statically and mapped at run time must agree bitwise, so:

- output: stdout and stderr are compared separately, line by line, with the rule in lines.py
  (numbers compared as printed; timings, dates, pids, ports, addresses, the two directories and
  the words cuda/mlu ignored).  The first differing line of each stream is reported: arithmetic
  (same text, other numbers) or control flow (other text, or printed by one run only), with the
  step it belongs to when a line names one ("Epoch: [0][ 2/3]", "step 3", "iter 40");
- checkpoints: every file both runs saved with torch.save, paired by path (checkpoints.py),
  tensors by dtype, shape and bytes (ckptdiff.py);
- failures: a run that exited non-zero, or had an uncaught exception, a fatal signal or a killed
  process anywhere, is a difference; problems only one run recorded (residual CUDA, an API
  torch_mlu lacks, ...) are shown as where that run's code path may have turned off.

Both runs get the same devices, torch_mlu line and PYTHONHASHSEED (0 unless set), and
PYTHONUNBUFFERED=1 (unless set) so their output can be shown as it comes.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

from . import capture, checkpoints, compat, events, lines, runner

SIDES = ("original", "converted")
STREAMS = ("stdout", "stderr")
LOG_SUFFIXES = {"original": ".original", "converted": ".converted"}
# Problems that mean a process of the run failed, even if the command exited 0.
FATAL = ("uncaught-exception", "signal", "killed")
# Problems that show where one run's code path may have left the other's.
TELLING = ("uncaught-exception", "residual-cuda", "unsupported-api", "not-emulated",
           "data-parallel", "gloo-with-mlu", "signal", "killed")


@dataclasses.dataclass
class Difference:
    kind: str  # "failed", "arithmetic", "control flow", "checkpoint"
    where: str  # "stdout line 3", "the converted run", "checkpoint ckpt.pt"
    detail: str = ""
    step: str | None = None
    original: str | None = None  # the two lines; None: that run printed no such line
    converted: str | None = None


@dataclasses.dataclass
class Comparison:
    differences: list[Difference]
    lines: dict[str, int]  # stream -> lines compared
    checkpoints: int  # files compared tensor by tensor
    unnamed_saves: int = 0
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def agree(self) -> bool:
        return not self.differences


def original_dir(path: str | os.PathLike, cwd: Path | None = None) -> Path:
    """ORIGINAL_DIR as an absolute path; compat.SetupError when it cannot be compared with cwd."""
    folder = Path(os.path.abspath(os.path.expanduser(path)))
    here = (cwd or Path.cwd()).resolve()
    if not folder.exists():
        raise compat.SetupError(f"--compare: {folder} does not exist")
    if not folder.is_dir():
        raise compat.SetupError(f"--compare: {folder} is not a directory")
    if folder.resolve() == here:
        raise compat.SetupError(f"--compare: {folder} is the current directory; run from the "
                                "converted project and name the original one")
    return folder


def configs(command: tuple[str, ...], original: Path, *, devices: int, line: str,
            log_file: Path | None = None, env: dict[str, str] | None = None
            ) -> tuple[runner.VerifyConfig, runner.VerifyConfig]:
    """The original run (mode "run", in `original`) and the converted one (mode "verify", here)."""
    env = dict(os.environ if env is None else env)
    env.setdefault("PYTHONHASHSEED", "0")
    env.setdefault("PYTHONUNBUFFERED", "1")

    def config(side: str, mode: str, cwd: Path | None) -> runner.VerifyConfig:
        log = Path(f"{log_file}{LOG_SUFFIXES[side]}") if log_file else None
        return runner.VerifyConfig(tuple(command), devices=devices, log_file=log, line=line,
                                   cwd=cwd, env=env, mode=mode, capture=True)

    return config("original", "run", original), config("converted", "verify", None)


class Session:
    """Runs the original, then the converted project; owns the folder that keeps the original's
    files saved outside its directory (the converted run would overwrite them)."""

    def __init__(self, original: runner.VerifyConfig, converted: runner.VerifyConfig) -> None:
        self.configs = {"original": original, "converted": converted}
        self.results: dict[str, runner.VerifyResult] = {}
        self.saves: dict[str, checkpoints.Saves] = {}
        self._tmp: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> Session:
        self._tmp = tempfile.TemporaryDirectory(prefix="gpu2mlu-compare-")
        return self

    def __exit__(self, *exc) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    def run(self, side: str, echo: capture.Echo | None = None) -> runner.VerifyResult:
        """Raises compat.SetupError / build.BuildError like runner.run."""
        config = self.configs[side]
        result = runner.run(config, echo)
        keep = Path(self._tmp.name) / side if side == "original" and self._tmp else None
        self.results[side] = result
        self.saves[side] = checkpoints.collect(result.summary.saved, run_dir(config), keep)
        return result

    def comparison(self) -> Comparison:
        a, b = (self.results[s] for s in SIDES)
        dirs = [str(run_dir(self.configs[s])) for s in SIDES]
        differences = [d for d in (failure(s, self.results[s]) for s in SIDES) if d]
        counts = {}
        for stream in STREAMS:
            diff, counts[stream] = compare_output(getattr(a, stream), getattr(b, stream),
                                                  stream, *dirs)
            if diff:
                differences.append(diff)
        files = checkpoints.compare(self.saves["original"], self.saves["converted"],
                                    self.configs["converted"])
        differences += [checkpoint_difference(f) for f in files if f.differs]
        result = Comparison(differences, counts, sum(1 for f in files if f.error is None),
                            sum(s.unnamed for s in self.saves.values()))
        failed = {d.where for d in differences if d.kind == "failed"}
        if differences:  # a failed run's problems are in its own entry already
            result.notes = [n for side, n in one_sided_problems(a.summary, b.summary)
                            if f"the {side} run" not in failed]
        return result


def run_dir(config: runner.VerifyConfig) -> Path:
    return Path(config.cwd or os.getcwd()).absolute()


def failure(side: str, result: runner.VerifyResult) -> Difference | None:
    """A run that exited non-zero or lost a process, with the problems that say where."""
    problems = result.summary.problems
    if result.exit_code == 0 and not any(p.kind in FATAL for p in problems):
        return None
    how = events.signal_name(result.exit_code)
    what = f"killed by {how}" if how else f"exited with {result.exit_code}"
    why = "; ".join(f"{p.kind}: {p.api} at {p.where}" for p in problems if p.kind in TELLING)
    return Difference("failed", f"the {side} run", what + (f"; {why}" if why else ""))


def compare_output(original: str, converted: str, stream: str, original_dir: str | None = None,
                   converted_dir: str | None = None) -> tuple[Difference | None, int]:
    """The first difference between two runs' output of one stream, and the lines compared."""
    a, b = lines.split(original, original_dir), lines.split(converted, converted_dir)
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else None
        y = b[i] if i < len(b) else None
        if x and y and x.skeleton == y.skeleton and x.numbers == y.numbers:
            continue
        step = lines.step_label(a if x else b, i)
        where = _where(stream, x, y)
        if x is None or y is None:
            side, other = ("original", "converted") if x else ("converted", "original")
            detail = f"only the {side} run printed this line; the {other} run's {stream} ended"
            return Difference("control flow", where, detail, step, _text(x), _text(y)), i
        if x.skeleton != y.skeleton:
            return Difference("control flow", where, "the runs printed different text", step,
                              x.text, y.text), i
        first = next((p, q) for p, q in zip(x.numbers, y.numbers) if p != q)  # same skeleton
        return Difference("arithmetic", where, f"{first[0]} vs {first[1]}", step,
                          x.text, y.text), i
    return None, len(a)


def checkpoint_difference(f: checkpoints.FileResult) -> Difference:
    if f.error:
        return Difference("checkpoint", f"checkpoint {f.name}", f.error)
    parts = []
    if f.differing_tensors:
        parts.append(f"{f.differing_tensors} of {f.tensors} tensors differ")
    if f.differing_leaves:
        parts.append(f"{f.differing_leaves} other value(s) differ")
    return Difference("checkpoint", f"checkpoint {f.name}",
                      f"{', '.join(parts)}; first: {f.first}")


def one_sided_problems(original: events.Summary, converted: events.Summary
                       ) -> list[tuple[str, str]]:
    """(side, note) for problems only one run recorded: where its code path may have turned."""
    keys = {side: {(p.kind, p.api) for p in s.problems}
            for side, s in (("original", original), ("converted", converted))}
    notes = []
    for side, summary in (("original", original), ("converted", converted)):
        other = keys["converted" if side == "original" else "original"]
        for p in summary.problems:
            if p.kind in TELLING and (p.kind, p.api) not in other:
                notes.append((side, f"only the {side} run recorded {p.kind}: {p.api} at {p.where}"))
    return notes


def render(comparison: Comparison) -> str:
    head = "gpu2mlu verify --compare:"
    counted = ", ".join(f"{n} {s} lines" for s, n in comparison.lines.items())
    files = f"{comparison.checkpoints} checkpoint file(s)"
    if comparison.agree:
        extra = (f"; {comparison.unnamed_saves} save(s) into file objects not compared"
                 if comparison.unnamed_saves else "")
        return f"{head} the runs agree ({counted}, {files} compared; timings ignored){extra}"
    n = len(comparison.differences)
    out = [f"{head} the runs differ ({n} difference{'s' if n > 1 else ''})"]
    for d in comparison.differences:
        out.append("  " + _headline(d))
        if d.kind in ("arithmetic", "control flow"):
            out.append(f"    original:  {d.original if d.original is not None else '<none>'}")
            out.append(f"    converted: {d.converted if d.converted is not None else '<none>'}")
    out += [f"  note: {note}" for note in comparison.notes]
    return "\n".join(out)


def _headline(d: Difference) -> str:
    if d.kind == "failed":
        return f"{d.where} failed: {d.detail}"
    if d.kind == "checkpoint":
        return f"{d.where}: {d.detail}"
    step = ""
    if d.step:
        step = f" ({d.step})" if d.step.startswith("after ") else f" at {d.step}"
    return f"{d.kind} divergence{step}, {d.where}: {d.detail}"


def _where(stream: str, x: lines.Line | None, y: lines.Line | None) -> str:
    if x and y and x.number != y.number:
        return f"{stream} line {x.number} (original) / {y.number} (converted)"
    return f"{stream} line {(x or y).number}"


def _text(line: lines.Line | None) -> str | None:
    return line.text if line else None
