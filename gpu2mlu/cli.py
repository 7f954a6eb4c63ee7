"""The command line: `torch_gpu2mlu -i PROJECT` (also `gpu2mlu`, `python -m gpu2mlu`)."""
from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from gpu2mlu import __version__
from gpu2mlu.engine import MigrationError, migrate
from gpu2mlu.rules import DEFAULT_LINE, LINES

EXIT_OK, EXIT_SKIPPED, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
Convert a PyTorch project written for NVIDIA GPUs (CUDA) into one for Cambricon MLUs (torch_mlu).
The converted copy goes to PROJECT_mlu/ with report.md and report.json listing every change and
everything that needs a human.

exit codes: 0 done; 1 done, but some files were skipped (listed in the report);
            2 bad usage or bad input (missing path, unreadable input, refused output folder)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="torch_gpu2mlu", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-i", "--input", required=True, metavar="PATH",
                        help="project folder or single .py file to convert")
    parser.add_argument("-o", "--output", metavar="DIR",
                        help="output folder (default: PATH_mlu beside the input; for a file "
                             "train.py, the folder train_mlu/)")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing output folder that gpu2mlu did not make")
    parser.add_argument("--target", choices=LINES, default=DEFAULT_LINE, metavar="LINE",
                        help="PyTorch line of the torch_mlu release you deploy on: "
                             f"{', '.join(LINES)} (default {DEFAULT_LINE}; later torch_mlu releases "
                             "follow 2.4). 2.1 keeps the torch.mlu.amp spelling for AMP")
    parser.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                        help="worker processes for large trees (default: one per CPU core)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--version", action="version", version=f"gpu2mlu {__version__}")
    return parser


def _print_summary(run) -> None:
    s = run.summary
    files = s["files"]
    print(f"Official PyTorch model scripts:  {run.input}")
    print(f"Cambricon PyTorch model scripts:  {run.output}")
    print(f"Migration Report:  {run.report_md}")
    print(f"{files['scanned']} files: {files['converted']} converted, {files['unchanged']} Python "
          f"files unchanged, {files['copied'] + files['linked']} copied, {files['skipped']} skipped")
    print(f"{s['changes']} changes on {s['changed_lines']} lines; "
          f"{s['findings']} findings need manual attention (see the report)")


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["verify"]:
        try:
            from gpu2mlu.verify.cli import main as verify_main
        except ImportError as exc:
            print(f"gpu2mlu verify is not available: {exc}", file=sys.stderr)
            return EXIT_USAGE
        return verify_main(argv[1:])
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error
        return EXIT_USAGE if exc.code else EXIT_OK
    if args.jobs < 0:
        parser.print_usage(sys.stderr)
        print("torch_gpu2mlu: error: --jobs must be 0 or more", file=sys.stderr)
        return EXIT_USAGE
    try:
        run = migrate(args.input, args.output, line=args.target, force=args.force, jobs=args.jobs)
    except MigrationError as exc:
        print(f"torch_gpu2mlu: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("torch_gpu2mlu: interrupted; the output folder was not changed", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"torch_gpu2mlu: error: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return EXIT_USAGE
    if not args.quiet:
        _print_summary(run)
    for f in run.skipped:
        print(f"skipped {f.path}: {f.reason}", file=sys.stderr)
    return run.exit_code
