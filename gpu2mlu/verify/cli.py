"""`gpu2mlu verify [options] -- COMMAND [ARGS...]`: the only module that prints or exits."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Sequence

from . import build, compat, events, run_cli, runner

EXIT_SETUP = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gpu2mlu verify",
        description="Run COMMAND (e.g. `python main.py`) with an emulated Cambricon MLU on a "
                    "CPU-only machine and report residual CUDA use, MLU APIs that real "
                    "torch_mlu lacks, ops it would run on the CPU, and every crash. Exits with "
                    "COMMAND's exit code (128+N when a signal N killed it). With --compare, "
                    "exits 0 when the two runs agree, 1 at the first difference, 2 when it "
                    "cannot start (docs/compare.md).",
    )
    run_cli.add_emulator_options(p)
    p.add_argument("--log", type=Path, metavar="FILE",
                   help="keep the JSON-lines event log of all processes in FILE")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when problems (CPU fallbacks included) were recorded even if "
                        "COMMAND succeeded")
    p.add_argument("--compare", metavar="ORIGINAL_DIR",
                   help="run COMMAND in ORIGINAL_DIR (the unconverted project, CUDA mapped at run "
                        "time) and here (the converted one) with the same seeds and devices, and "
                        "compare the numbers they print and the checkpoints they save; --log FILE "
                        "writes FILE.original and FILE.converted")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    opts, command = run_cli.split_command(list(sys.argv[1:] if argv is None else argv))
    parser = _parser()
    ns = parser.parse_args(opts)
    command = command if command is not None else ns.command
    if not command:
        parser.error("no COMMAND given; use: gpu2mlu verify [options] -- COMMAND [ARGS...]")
    if ns.compare is not None:
        return _compare(ns, tuple(command))
    config = runner.VerifyConfig(tuple(command), devices=run_cli.devices(ns), log_file=ns.log,
                                 line=ns.torch_mlu_line)
    try:
        result = run_cli.run_stoppable(config)
    except (compat.SetupError, build.BuildError) as exc:
        print(f"gpu2mlu verify: error: {exc}", file=sys.stderr)
        return EXIT_SETUP
    except KeyboardInterrupt as exc:
        return run_cli.stopped("gpu2mlu verify", exc)
    _report(result, ns.quiet)
    if ns.strict and result.exit_code == 0 and result.summary.problems:
        return 1
    if result.exit_code < 0:  # killed by signal N: the shell's 128+N, not N's low byte
        return 128 - result.exit_code
    return result.exit_code


def _report(result: runner.VerifyResult, quiet: bool, label: str = "", mode: str = "verify") -> None:
    run_cli.print_notes("gpu2mlu verify", result)
    if not quiet:
        if label:
            print(label, file=sys.stderr)
        if mode == "run":  # the original side: its summary names what was mapped, and where
            print(run_cli.render(result), file=sys.stderr)
        else:
            print(events.render(result.summary, result.exit_code), file=sys.stderr)


def _compare(ns: argparse.Namespace, command: tuple[str, ...]) -> int:
    """Original (run mode) then converted (verify mode), each shown live and summarised, then
    the verdict: 0 agree, 1 a difference (or --strict and a problem), 2 cannot start."""
    # Ctrl-C, SIGTERM/SIGHUP and a closed stdout (`| head`) behave as in the converter's CLI.
    from gpu2mlu.cli import Stopped, _QuietWhenClosed, _stop_signals_raise

    from . import compare

    try:
        # before the original side runs: its `gpu2mlu run` would take a real torch_mlu, and then
        # the converted side's verify would refuse it
        compat.refuse_compare_over_real_torch_mlu()
        original = compare.original_dir(ns.compare)
    except compat.SetupError as exc:
        print(f"gpu2mlu verify: error: {exc}", file=sys.stderr)
        return EXIT_SETUP
    configs = compare.configs(command, original, devices=run_cli.devices(ns),
                              line=ns.torch_mlu_line, log_file=ns.log)
    stdout = sys.stdout
    sys.stdout = _QuietWhenClosed(stdout)
    try:
        with _stop_signals_raise(), compare.Session(*configs) as session:
            for side in compare.SIDES:
                where = compare.run_dir(session.configs[side])
                print(f"gpu2mlu verify --compare: the {side} project, {where}, under "
                      f"`{session.configs[side].mode}`:", file=sys.stderr, flush=True)
                result = session.run(side, _echo)
                _report(result, ns.quiet, f"gpu2mlu verify --compare: {side} run summary:",
                        session.configs[side].mode)
            comparison = session.comparison()
    except (compat.SetupError, build.BuildError) as exc:
        print(f"gpu2mlu verify: error: {exc}", file=sys.stderr)
        return EXIT_SETUP
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        print(f"gpu2mlu verify: stopped by {signal.Signals(signum).name}; nothing compared",
              file=sys.stderr)
        return 128 + signum
    finally:
        sys.stdout = stdout
    print(compare.render(comparison), file=sys.stderr)
    if not comparison.agree:
        return 1
    if ns.strict and any(r.summary.problems for r in session.results.values()):
        return 1
    return 0


def _echo(stream: int, data: bytes) -> None:
    """A run's own output, passed on as it arrives (after anything printed before it)."""
    out = sys.stdout if stream == 1 else sys.stderr
    out.flush()
    raw = getattr(out, "buffer", None)
    if raw is None:  # a text-only stream (an IDE's console)
        out.write(data.decode("utf-8", "replace"))
        out.flush()
    else:
        raw.write(data)
        raw.flush()


if __name__ == "__main__":
    raise SystemExit(main())
