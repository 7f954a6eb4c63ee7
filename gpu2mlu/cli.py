"""The command line: `torch_gpu2mlu -i PROJECT` (also `gpu2mlu`, `python -m gpu2mlu`)."""
from __future__ import annotations

import argparse
import os
import re
import signal
import sys
from contextlib import contextmanager
from typing import Iterator, Optional, Sequence, TextIO

from gpu2mlu import __version__
from gpu2mlu.engine import load_settings, migrate, preview
from gpu2mlu.errors import MigrationError, WriteError, io_message
from gpu2mlu.inplace import convert_in_place, undo
from gpu2mlu.report import json as json_report
from gpu2mlu.report import patch as patch_report
from gpu2mlu.report.model import location
from gpu2mlu.rules import DEFAULT_LINE, LINES, SEVERITIES, load_ruleset
from gpu2mlu.settings import FAIL_ON, SettingsError

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_WRITE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

DESCRIPTION = """\
Convert a PyTorch project written for NVIDIA GPUs (CUDA) into one for Cambricon MLUs (torch_mlu).
The converted copy goes to PROJECT_mlu/ with report.md, report.json, report.html and changes.patch
listing every change and everything that needs a human.

modes (default: write the converted copy):
  --diff       print the unified diff of every change; write nothing
  --check      write nothing; exit 1 if anything would change or a finding of --fail-on severity
               or worse exists (one `path:line: ID message` line each); takes several paths
  --in-place   convert PROJECT itself, backing up every changed file; --undo restores them
  --explain ID what a finding ID or rule family means and how to fix it

settings: [tool.gpu2mlu] in the project's pyproject.toml (target, include, exclude, disable,
fail-on, jobs, api, env); options given here win.

exit codes: 0 done (--check: nothing to do); 1 done, but files were skipped (listed in the report),
            --check found work, or --undo kept files edited since the conversion; 2 bad usage, bad
            input or settings, a refused output folder; 3 a write failed (disk full, permission):
            no output folder was replaced and --in-place put every file back; 128+N stopped by
            signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP), with the same guarantees as 3
"""

_PLACEHOLDER = re.compile(r"\{(\w+)\}")  # {name} in a finding's text: the flagged API, package, ...


PROGRESS_MIN_FILES = 200  # smaller trees finish before a bar is worth drawing


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="torch_gpu2mlu", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-i", "--input", metavar="PATH", help="project folder or single file to convert")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="with --check or --diff: files or folders to look at (what pre-commit passes)")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="output folder (default: PATH_mlu beside the input; for a file train.py, "
                        "the folder train_mlu/)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing output folder that gpu2mlu did not make (never one that "
                        "holds input files); with --undo, restore files edited since the conversion too")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--diff", action="store_true", help="print a unified diff of every change; write nothing")
    mode.add_argument("--check", action="store_true",
                      help="write nothing; exit 1 when anything would change or a finding of --fail-on "
                           "severity or worse exists")
    mode.add_argument("--in-place", action="store_true",
                      help="convert the input folder itself, keeping a backup of every changed file "
                           "in PATH/.gpu2mlu/ (refused in a git work tree with uncommitted changes)")
    mode.add_argument("--undo", action="store_true", help="restore the files changed by the last --in-place run (files edited since are kept "
                           "and listed, exit 1)")
    mode.add_argument("--explain", metavar="ID", help="explain a finding ID (GM201) or a rule family (amp)")
    p.add_argument("--allow-dirty", action="store_true",
                   help="with --in-place: convert a git work tree that has uncommitted changes")
    p.add_argument("--fail-on", choices=FAIL_ON, default=None,
                   help="with --check: the least severe finding that fails (default warning)")
    p.add_argument("--target", choices=LINES, default=None, metavar="LINE",
                   help="PyTorch line of the torch_mlu release you deploy on: "
                        f"{', '.join(LINES)} (default {DEFAULT_LINE}; later torch_mlu releases follow 2.4). "
                        "2.1 keeps the torch.mlu.amp spelling for AMP")
    p.add_argument("--include", action="append", metavar="GLOB",
                   help="convert only matching files (others are copied unchanged); repeatable")
    p.add_argument("--exclude", action="append", metavar="GLOB",
                   help="copy matching files unchanged (e.g. 'third_party/', '*.ipynb'); repeatable")
    p.add_argument("--disable", action="append", metavar="ID",
                   help="switch off a rule family or finding ID; repeatable")
    p.add_argument("--no-config", action="store_true", help="ignore [tool.gpu2mlu] in pyproject.toml")
    p.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="worker processes for large trees (default: one per CPU core)")
    p.add_argument("--json", action="store_true", help="print the JSON report to stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: for large trees when stderr is a terminal)")
    p.add_argument("--version", action="version", version=f"gpu2mlu {__version__}")
    return p


class ProgressBar:
    """`gpu2mlu: [#######.............] 1234/4737 files` redrawn in place on a terminal."""

    def __init__(self, stream: TextIO, always: bool) -> None:
        self.stream, self.always, self.drawn = stream, always, False

    def __call__(self, done: int, total: int) -> None:
        if total < PROGRESS_MIN_FILES and not self.always:
            return
        width = 30
        filled = width * done // max(total, 1)
        self.stream.write(f"\rgpu2mlu: [{'#' * filled}{'.' * (width - filled)}] {done}/{total} files")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K" if self.stream.isatty() else "\n")
            self.stream.flush()


def _print_summary(run) -> None:
    s = run.summary
    files = s["files"]
    print(f"Official PyTorch model scripts:  {run.input}")
    print(f"Cambricon PyTorch model scripts:  {run.output}")
    print(f"Migration Report:  {run.report_md}")
    print(f"Review: {run.report_html} (diffs, findings) and {run.patch} (git apply)")
    print(f"{files['scanned']} files: {files['converted']} converted, {files['unchanged']} unchanged, "
          f"{files['copied'] + files['linked']} copied, {files['excluded']} excluded, {files['skipped']} skipped")
    print(f"{s['changes']} changes on {s['changed_lines']} lines; "
          f"{s['findings']} findings need manual attention (see the report)")


def explain(key: str, out: TextIO, line: str = DEFAULT_LINE) -> int:
    rules = load_ruleset(line)
    spec = rules.findings.get(key.upper())
    if spec is not None:
        known = rules.torch_line.placeholders(rules.line) if rules.torch_line else {}
        message, suggestion = (_PLACEHOLDER.sub(lambda m: known.get(m.group(1), f"<{m.group(1)}>"), text)
                               for text in (spec.message, spec.suggestion))
        out.write(f"{spec.id} {spec.name} ({spec.severity})\n\n"
                  f"What it means: {message}\n"
                  f"What to do: {suggestion}\n\n"
                  f"Silence it on one line with a `gpu2mlu: ignore[{spec.id}]` comment, or everywhere "
                  f"with disable = [\"{spec.id}\"] in [tool.gpu2mlu].\n")
        return EXIT_OK
    text = rules.families.get(key.lower())
    if text is not None:
        out.write(f"{key.lower()} (rule family)\n\nConverts: {text}\n\n"
                  f"Switch it off with --disable {key.lower()} or disable = [\"{key.lower()}\"] in "
                  "[tool.gpu2mlu].\n")
        return EXIT_OK
    print(f"torch_gpu2mlu: error: unknown finding ID or rule family {key!r}; known IDs: "
          f"{', '.join(rules.findings)}; rule families: {', '.join(rules.families)}", file=sys.stderr)
    return EXIT_USAGE


def _check_lines(run, fail_on: str) -> tuple[list[str], bool]:
    """`path:line: ID message` lines, and whether the check fails."""
    specs = load_ruleset(run.line).findings
    threshold = SEVERITIES.index(fail_on) if fail_on in SEVERITIES else len(SEVERITIES)
    lines, failed = [], False
    for f in run.files:
        for c in f.changes:
            what = f'add "{c.after}"' if c.added else f'change "{c.before}" to "{c.after}"'
            lines.append(f"{location(f.path, c)}: {c.rule} would {what}")
            failed = True
        for x in f.findings:
            severity = specs[x.id].severity if x.id in specs else "warning"
            lines.append(f"{location(f.path, x)}: {x.id} [{severity}] {x.message}")
            failed = failed or SEVERITIES.index(severity) >= threshold
        if f.reason:
            lines.append(f"{f.path}: skipped: {f.reason}")
            failed = True
    return lines, failed


def _cli_settings(args) -> dict:
    values = {"target": args.target, "jobs": args.jobs, "fail_on": args.fail_on,
              "include": tuple(args.include) if args.include else None,
              "exclude": tuple(args.exclude) if args.exclude else None,
              "disable": tuple(args.disable) if args.disable else None}
    return {k: v for k, v in values.items() if v is not None}


def _run(args, parser) -> int:
    if args.explain:
        return explain(args.explain, sys.stdout, args.target or DEFAULT_LINE)
    inputs = ([args.input] if args.input else []) + list(args.paths)
    if not inputs:
        parser.print_usage(sys.stderr)
        print("torch_gpu2mlu: error: the following arguments are required: -i/--input", file=sys.stderr)
        return EXIT_USAGE
    if args.paths and not (args.check or args.diff):
        parser.print_usage(sys.stderr)
        print("torch_gpu2mlu: error: several paths are only taken by --check and --diff; use -i PATH",
              file=sys.stderr)
        return EXIT_USAGE
    if args.undo:
        result = undo(inputs[0], force=args.force)
        if not args.quiet:
            print(f"restored {len(result.restored)} files from {result.backup}")
        if result.conflicts:
            print(f"torch_gpu2mlu: kept {len(result.conflicts)} files edited since the conversion (their "
                  f"originals stay in {result.backup}; --undo --force restores them too):\n  "
                  + "\n  ".join(result.conflicts), file=sys.stderr)
            return EXIT_FAIL
        return EXIT_OK
    settings = load_settings(inputs[0], _cli_settings(args), use_pyproject=not args.no_config)
    show = args.progress if args.progress is not None else (sys.stderr.isatty() and not args.quiet)
    bar = ProgressBar(sys.stderr, always=bool(args.progress)) if show else None
    try:
        if args.check or args.diff:
            run = preview(inputs, settings, progress=bar)
        elif args.in_place:
            run = convert_in_place(inputs[0], settings, allow_dirty=args.allow_dirty, progress=bar)
        else:
            run = migrate(inputs[0], args.output, settings=settings, force=args.force, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        sys.stdout.write(json_report.render(run))
    if args.diff:
        sys.stdout.flush()
        sys.stdout.buffer.write(patch_report.render(run))
        sys.stdout.buffer.flush()
    if args.check:
        lines, failed = _check_lines(run, settings.fail_on)
        if not args.quiet and not args.json:
            for line in lines:
                print(line)
        return EXIT_FAIL if failed else EXIT_OK
    if not run.files and not args.quiet:
        print(f"torch_gpu2mlu: note: no files found in {', '.join(inputs)}; nothing to convert", file=sys.stderr)
    if args.in_place and not args.quiet and not args.json:
        s = run.summary
        print(f"converted {s['files']['converted']} files in place ({s['changes']} changes, "
              f"{s['findings']} findings); originals and reports in {run.backup}")
        print(f"undo with: torch_gpu2mlu --undo -i {inputs[0]}")
    elif not (args.quiet or args.json or args.diff):
        _print_summary(run)
    for f in run.skipped:
        print(f"skipped {f.path}: {f.reason}", file=sys.stderr)
    return run.exit_code


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled like Ctrl-C: the run cleans up, then exits 128+signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_STOP_SIGNALS = tuple(s for s in (getattr(signal, n, None) for n in ("SIGTERM", "SIGHUP")) if s)


@contextmanager
def _stop_signals_raise() -> Iterator[None]:
    def stop(signum, frame):
        raise Stopped(signum)
    try:
        previous = [(s, signal.signal(s, stop)) for s in _STOP_SIGNALS]
    except ValueError:  # not the main thread (main() called from a thread): leave signals alone
        previous = []
    try:
        yield
    finally:
        for s, handler in previous:
            signal.signal(s, handler)


class _QuietWhenClosed:
    """stdout that goes quiet once its reader has gone (`| head`), instead of failing the run."""

    def __init__(self, stream: TextIO) -> None:
        self.stream, self.closed_by_reader = stream, False

    def write(self, text):
        if not self.closed_by_reader:
            try:
                return self.stream.write(text)
            except BrokenPipeError:
                self._reader_gone()
        return len(text)

    def flush(self) -> None:
        if not self.closed_by_reader:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._reader_gone()

    def _reader_gone(self) -> None:
        self.closed_by_reader = True
        try:  # so that the interpreter's own flush at exit does not fail either
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass

    @property
    def buffer(self):
        return _QuietBuffer(self)

    def __getattr__(self, name):
        return getattr(self.stream, name)


class _QuietBuffer:
    def __init__(self, owner: _QuietWhenClosed) -> None:
        self.owner = owner

    def write(self, data: bytes):
        if not self.owner.closed_by_reader:
            try:
                return self.owner.stream.buffer.write(data)
            except BrokenPipeError:
                self.owner._reader_gone()
        return len(data)

    def flush(self) -> None:
        self.owner.flush()


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["verify"], ["run"]):
        try:
            if argv[0] == "verify":
                from gpu2mlu.verify.cli import main as sub_main
            else:
                from gpu2mlu.verify.run_cli import main as sub_main
        except ImportError as exc:
            print(f"gpu2mlu {argv[0]} is not available: {exc}", file=sys.stderr)
            return EXIT_USAGE
        return sub_main(argv[1:])
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error
        return EXIT_USAGE if exc.code else EXIT_OK
    if args.jobs is not None and args.jobs < 0:
        parser.print_usage(sys.stderr)
        print("torch_gpu2mlu: error: --jobs must be 0 or more", file=sys.stderr)
        return EXIT_USAGE
    stdout = sys.stdout
    sys.stdout = _QuietWhenClosed(stdout)
    try:
        with _stop_signals_raise():
            return _run(args, parser)
    except WriteError as exc:
        print(f"torch_gpu2mlu: error: {exc}", file=sys.stderr)
        return EXIT_WRITE
    except (MigrationError, SettingsError) as exc:
        print(f"torch_gpu2mlu: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        print(f"torch_gpu2mlu: stopped by {signal.Signals(signum).name}; nothing was left half done: no "
              "output folder was replaced, and --in-place put back every file it had converted",
              file=sys.stderr)
        return EXIT_INTERRUPTED if signum == signal.SIGINT else 128 + signum
    except OSError as exc:
        print(f"torch_gpu2mlu: error: {io_message(exc)}", file=sys.stderr)
        return EXIT_WRITE
    finally:
        sys.stdout = stdout
