"""`gpu2mlu run [options] -- COMMAND [ARGS...]`: the only module of `run` that prints or exits."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Sequence

from gpu2mlu.errors import WriteError, io_message
from gpu2mlu.inplace.journal import write_atomically

from . import api_surface, build, calllog, compat, events, runner

EXIT_SETUP = 2
EXIT_WRITE = 3  # --log / --report could not be written (as the converter's exit 3)
DEFAULT_DEVICES = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gpu2mlu run",
        description="Run COMMAND (e.g. `python train.py` or `bash run.sh`) UNCONVERTED, with its "
                    "CUDA use (torch.cuda, 'cuda' devices, .cuda(), nccl, torch.cuda.amp, CUDA "
                    "environment variables, nvidia-smi) mapped to a Cambricon MLU at run time "
                    "from the converter's own rule tables - the emulated MLU, or the real "
                    "torch_mlu where one is installed - and log every mapped or unsupported call "
                    "with the file:line (project or dependency) that made it. Exits with "
                    "COMMAND's exit code (128+N when a signal N killed it).",
    )
    add_emulator_options(p)
    p.add_argument("--log", type=Path, metavar="FILE",
                   help="write the call log (JSON: every distinct call and site with its count)")
    p.add_argument("--report", type=Path, metavar="DIR",
                   help="write report.md, report.html and report.json of the calls to DIR, in "
                        "the format of a conversion's reports")
    p.add_argument("--events", type=Path, metavar="FILE",
                   help="keep the raw JSON-lines event log of all processes in FILE")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when COMMAND succeeded but a call had no MLU equivalent or a "
                        "problem was recorded")
    return p


def add_emulator_options(p: argparse.ArgumentParser) -> None:
    """The options `gpu2mlu run` and `gpu2mlu verify` share."""
    p.add_argument("--devices", type=int, default=None, metavar="N",
                   help=f"number of emulated MLUs (default {DEFAULT_DEVICES}; MLU_VISIBLE_DEVICES "
                        "narrows it); ignored by `run` over a real torch_mlu")
    p.add_argument("--torch-mlu-line", default=api_surface.DEFAULT_LINE,
                   choices=("2.1", "2.3", "2.4"),
                   help="torch_mlu PyTorch line whose API surface (and, for run, mapping) "
                        "applies (default 2.4)")
    p.add_argument("--quiet", action="store_true", help="do not print the summary")


def devices(ns: argparse.Namespace) -> int:
    """--devices, or its default (None in the namespace tells that it was not given)."""
    return DEFAULT_DEVICES if ns.devices is None else ns.devices


def split_command(args: list[str]) -> tuple[list[str], list[str] | None]:
    """Options before `--`, the command after it (None when there is no `--`)."""
    if "--" in args:
        cut = args.index("--")
        return args[:cut], args[cut + 1:]
    return args, None


def main(argv: Sequence[str] | None = None) -> int:
    opts, command = split_command(list(sys.argv[1:] if argv is None else argv))
    parser = _parser()
    ns, rest = parser.parse_known_args(opts)
    command = command if command is not None else rest
    if not command or (command is rest and rest and rest[0].startswith("-")):
        parser.error("no COMMAND given; use: gpu2mlu run [options] -- COMMAND [ARGS...]")
    problem = _check_outputs(ns)
    if problem:
        print(f"gpu2mlu run: error: {problem}", file=sys.stderr)
        return EXIT_SETUP
    config = runner.VerifyConfig(tuple(command), devices=devices(ns), log_file=ns.events,
                                 line=ns.torch_mlu_line, mode="run")
    started = time.monotonic()
    try:
        real = runner.real_torch_mlu(config)
        if real is not None and ns.devices is not None:  # said before the command's own output
            print(f"gpu2mlu run: warning: --devices is ignored: a real torch_mlu is installed "
                  f"({real}), so the run uses its MLUs (narrow them with MLU_VISIBLE_DEVICES "
                  "or CUDA_VISIBLE_DEVICES)", file=sys.stderr)
        result = run_stoppable(config)
    except (compat.SetupError, build.BuildError) as exc:
        print(f"gpu2mlu run: error: {exc}", file=sys.stderr)
        return EXIT_SETUP
    except KeyboardInterrupt as exc:
        return stopped("gpu2mlu run", exc)
    wall = time.monotonic() - started
    calls = result.calls
    print_notes("gpu2mlu run", result)
    try:
        _write_outputs(ns, calls, command, result, wall)
        unwritten = None
    except WriteError as exc:
        unwritten = str(exc)
    except OSError as exc:  # the folder could not be made
        unwritten = f"cannot write {io_message(exc)}"
    if not ns.quiet:  # the summary even when the files could not be written: the run happened
        print(render(result), file=sys.stderr)
    if unwritten:
        print(f"gpu2mlu run: error: {unwritten}", file=sys.stderr)
        return EXIT_WRITE
    if ns.strict and result.exit_code == 0 and (
            result.summary.problems or any(c.status in calllog.NEEDS_A_HUMAN for c in calls)):
        return 1
    if result.exit_code < 0:
        return 128 - result.exit_code
    return result.exit_code


def run_stoppable(config: runner.VerifyConfig) -> runner.VerifyResult:
    """runner.run with SIGTERM and SIGHUP raising like Ctrl-C, so the command is stopped too."""
    from gpu2mlu.cli import _stop_signals_raise

    with _stop_signals_raise():
        return runner.run(config)


def print_notes(prog: str, result: runner.VerifyResult) -> None:
    """What the user should know about the set-up: an untested torch, a fresh emulator build."""
    if not result.torch_tested:
        print(f"{prog}: warning: torch {result.torch_version} is untested "
              f"(tested: {', '.join(compat.TESTED)})", file=sys.stderr)
    if result.build_seconds:
        print(f"{prog}: built the MLU emulator in {result.build_seconds:.1f} s "
              "(cached for later runs)", file=sys.stderr)


def stopped(prog: str, exc: KeyboardInterrupt) -> int:
    """The message and exit code (128+N) of a run stopped by Ctrl-C, SIGTERM or SIGHUP."""
    from gpu2mlu.cli import Stopped

    signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
    print(f"{prog}: stopped by {signal.Signals(signum).name}; the command and every process it "
          "started were stopped", file=sys.stderr)
    return 128 + signum


def render(result: runner.VerifyResult) -> str:
    text = events.render(result.summary, result.exit_code, result.emulated)
    head, _, rest = text.replace("gpu2mlu verify:", "gpu2mlu run:", 1).partition("\n")
    # torch.mlu names the run's code never spells: the mapped calls above are the MLU APIs used
    rest = "\n".join(line for line in rest.splitlines() if not line.startswith("  MLU APIs used:"))
    return "\n".join([head, f"  backend: {result.backend}", calllog.render(result.calls), rest])


def _check_outputs(ns) -> str | None:
    for path in (ns.log, ns.events):
        if path is not None and path.is_dir():
            return f"{path} is a folder; give a file name"
    if ns.report is not None and ns.report.exists() and not ns.report.is_dir():
        return f"{ns.report} exists and is not a folder"
    if devices(ns) < 1:
        return "--devices must be at least 1"
    return None


def _write_outputs(ns, calls, command, result, wall: float) -> None:
    if ns.log is not None:
        doc = calllog.to_json(calls, command, result.exit_code, result.summary.problems)
        _write(ns.log, json.dumps(doc, indent=2) + "\n")
    if ns.report is not None:
        from gpu2mlu.report import html, markdown
        from gpu2mlu.report import json as report_json

        run = calllog.report_model(calls, Path(os.getcwd()), ns.torch_mlu_line, command, wall)
        ns.report.mkdir(parents=True, exist_ok=True)
        _write(ns.report / "report.md", markdown.render(run) + calllog.owners_markdown(calls))
        _write(ns.report / "report.html", html.render(run))
        _write(ns.report / "report.json", report_json.render(run))


def _write(path: Path, text: str) -> None:
    """Whole or nothing: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text.encode("utf-8"), 0o644)


if __name__ == "__main__":
    raise SystemExit(main())
