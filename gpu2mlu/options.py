"""The project's own command-line options whose values are devices: a pre-pass over the project's
Python files, run once before any file is converted.

`parser.add_argument("--prefetch-mode", choices=["cpu", "cuda"])` is converted by the Python
converter (its choices become ["cpu", "mlu"]); the launch script's `--prefetch-mode cuda` must
then convert too, or the converted launcher fails with "invalid choice". The flags found here
(and their dests, for Hydra-style `prefetch_mode=cuda`) join launch.toml's flags for this run
(Settings.device_options), so the shell converter treats them like `--device`. Only Python files
that are converted count (an excluded file keeps its choices, so its flags must stay too).
"""
from __future__ import annotations

import ast
import dataclasses
from typing import Iterable

from gpu2mlu.kinds import DOCKERFILE, NOTEBOOK, PYTHON, SHELL
from gpu2mlu.python.argparse_options import declared_options
from gpu2mlu.settings import Settings
from gpu2mlu.source import DecodeError, decode
from gpu2mlu.values import device_or_backend

# The kinds whose converters read command lines, and so the options found here.
_COMMAND_KINDS = frozenset({SHELL, DOCKERFILE, NOTEBOOK})
# Both must be in a file's bytes for it to declare such an option: the rest are never parsed.
_WORDS = (b"add_argument", b"cuda")


def with_project_options(settings: Settings, tasks: Iterable) -> Settings:
    """`settings` with the device-valued options of the tasks' converted Python files. Only
    command lines use them (shell/commands.py: scripts, Dockerfiles, notebook `!` lines), so a
    tree without those is not read twice."""
    tasks = list(tasks)
    if not any(t.converted and t.kind in _COMMAND_KINDS for t in tasks):
        return settings
    found = device_options(_sources(tasks), settings)
    if not found or set(found) <= set(settings.device_options):
        return settings
    return dataclasses.replace(settings, device_options=tuple(sorted(set(found) | set(settings.device_options))))


def _sources(tasks: Iterable) -> Iterable[str]:
    for task in tasks:
        if task.kind != PYTHON or not task.converted:
            continue
        try:
            with open(task.src, "rb") as f:
                data = f.read()
        except OSError:
            continue  # reported when the file itself is converted
        if all(word in data for word in _WORDS):
            try:
                yield decode(data).text
            except DecodeError:
                continue


def device_options(sources: Iterable[str], settings: Settings) -> tuple[str, ...]:
    """Flags ("--prefetch-mode") and dests ("prefetch_mode") of options offering a device or backend."""
    rules = settings.ruleset()
    found: set[str] = set()
    for text in sources:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # not converted either (reported as skipped)
        for option in declared_options(tree):
            if any(device_or_backend(rules, v) for v in option.choices + option.defaults):
                found.update(option.flags)
                found.add(option.dest)
    return tuple(sorted(found))
