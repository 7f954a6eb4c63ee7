"""Whether a text is valid Python, with the parser's own message when it is not.

Every Python file must parse before anything is written for it, even a file the converter would
otherwise only glance at: a file that does not parse is copied unchanged and listed as skipped.
"""
from __future__ import annotations

import ast
import warnings


class ParseError(Exception):
    """The file is not valid Python for this interpreter; it is copied unchanged."""


def parse(text: str) -> ast.Module:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes and the like are not our report
            return ast.parse(text)
    except SyntaxError as exc:
        raise ParseError(f"line {exc.lineno}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes, absurd nesting
        raise ParseError(str(exc) or type(exc).__name__) from None


def check_parses(text: str) -> None:
    """Raise ParseError exactly when `parse(text)` would, at about half its cost.

    Compiling to bytecode runs the same parser without building Python's AST objects, which is
    most of ast.parse's cost. The compiler refuses a few things the parser accepts (`return`
    outside a function), so a refusal is confirmed by `parse`, whose verdict and message count.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a warning turned into an error would read as a SyntaxError
            compile(text, "<gpu2mlu>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        parse(text)
