"""Shell scripts, launch commands and Dockerfiles.

`convert_shell` also serves the notebook converter (`!cmd` lines, `%%bash` cells), so it takes
any fragment of a script.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from gpu2mlu.changes import conversion_from_edits
from gpu2mlu.edits import Edit
from gpu2mlu.kinds import Unconvertible
from gpu2mlu.results import Conversion
from gpu2mlu.rules import RuleSet
from gpu2mlu.shell.commands import Note, analyze_script
from gpu2mlu.source import LineIndex

__all__ = ["convert_dockerfile", "convert_shell", "convert_shell_file"]

# The lexer recurses into $( ), backticks and `bash -c`; nesting deeper than Python's stack
# is not a real script.
_TOO_DEEP = "commands nested too deeply to convert safely; copied unchanged"


def convert_shell(text: str, rules: RuleSet) -> Conversion:
    """Convert a shell script (or a few lines of one)."""
    try:
        analysis = analyze_script(text, rules)
    except RecursionError:
        raise Unconvertible(_TOO_DEEP) from None
    return conversion(text, analysis.edits, analysis.notes, rules)


def convert_shell_file(text: str, rules: RuleSet, rel: str) -> Conversion:
    """The converter for .sh/.bash/.zsh/.ksh files and scripts with a shell shebang."""
    return convert_shell(text, rules)


def convert_dockerfile(text: str, rules: RuleSet, rel: str) -> Conversion:
    """The converter for Dockerfiles and Containerfiles."""
    from gpu2mlu.shell.dockerfile import analyze_dockerfile
    try:
        analysis = analyze_dockerfile(text, rules)
    except RecursionError:
        raise Unconvertible(_TOO_DEEP) from None
    return conversion(text, analysis.edits, analysis.notes, rules)


def conversion(text: str, edits: Iterable[Edit], notes: Iterable[Note], rules: RuleSet) -> Conversion:
    index = LineIndex(text)
    findings = [replace(n.finding, line=index.line_of(n.offset)) if n.finding is not None
                else rules.finding(index.line_of(n.offset), n.id, n.name, **dict(n.extra)) for n in notes]
    return conversion_from_edits(text, edits, findings, rules.disabled)
