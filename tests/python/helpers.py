"""Shared assertions for converter tables: every rewrite must be exact, parse, and converge."""
import ast
import textwrap

from gpu2mlu.python import convert_python
from gpu2mlu.rules import load_ruleset


def dedent(src: str) -> str:
    return textwrap.dedent(src).lstrip("\n")


def convert(src: str, line: str = "2.4"):
    return convert_python(src, load_ruleset(line))


def assert_converts(before: str, after: str, line: str = "2.4") -> None:
    before, after = dedent(before), dedent(after)
    result = convert(before, line)
    assert result.text == after
    ast.parse(result.text)
    again = convert(result.text, line)
    assert again.text == result.text, "a second run must change nothing"


def assert_unchanged(src: str, line: str = "2.4") -> None:
    src = dedent(src)
    result = convert(src, line)
    assert result.text == src
    assert not result.changes


def finding_ids(src: str, line: str = "2.4") -> list:
    return [(f.id, f.line) for f in convert(dedent(src), line).findings]
