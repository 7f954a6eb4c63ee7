"""`gpu2mlu verify [options] -- COMMAND [ARGS...]`: the only module that prints or exits."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from . import api_surface, build, compat, events, runner

EXIT_SETUP = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gpu2mlu verify",
        description="Run COMMAND (e.g. `python main.py`) with an emulated Cambricon MLU on a "
                    "CPU-only machine and report residual CUDA use, MLU APIs that real "
                    "torch_mlu lacks, ops it would run on the CPU, and every crash. Exits with "
                    "COMMAND's exit code (128+N when a signal N killed it).",
    )
    p.add_argument("--devices", type=int, default=2, metavar="N",
                   help="number of emulated MLUs (default 2; MLU_VISIBLE_DEVICES narrows it)")
    p.add_argument("--log", type=Path, metavar="FILE",
                   help="keep the JSON-lines event log of all processes in FILE")
    p.add_argument("--torch-mlu-line", default=api_surface.DEFAULT_LINE,
                   choices=("2.1", "2.3", "2.4"),
                   help="torch_mlu PyTorch line whose API surface is enforced (default 2.4)")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when problems (CPU fallbacks included) were recorded even if "
                        "COMMAND succeeded")
    p.add_argument("--quiet", action="store_true", help="do not print the summary")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--" in args:
        cut = args.index("--")
        opts, command = args[:cut], args[cut + 1:]
    else:
        opts, command = args, None
    parser = _parser()
    ns = parser.parse_args(opts)
    command = command if command is not None else ns.command
    if not command:
        parser.error("no COMMAND given; use: gpu2mlu verify [options] -- COMMAND [ARGS...]")
    config = runner.VerifyConfig(tuple(command), devices=ns.devices, log_file=ns.log,
                                 line=ns.torch_mlu_line)
    try:
        result = runner.run(config)
    except (compat.SetupError, build.BuildError) as exc:
        print(f"gpu2mlu verify: error: {exc}", file=sys.stderr)
        return EXIT_SETUP
    if not result.torch_tested:
        print(f"gpu2mlu verify: warning: torch {result.torch_version} is untested "
              f"(tested: {', '.join(compat.TESTED)})", file=sys.stderr)
    if result.build_seconds:
        print(f"gpu2mlu verify: built the MLU emulator in {result.build_seconds:.1f} s "
              "(cached for later runs)", file=sys.stderr)
    if not ns.quiet:
        print(events.render(result.summary, result.exit_code), file=sys.stderr)
    if ns.strict and result.exit_code == 0 and result.summary.problems:
        return 1
    if result.exit_code < 0:  # killed by signal N: the shell's 128+N, not N's low byte
        return 128 - result.exit_code
    return result.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
