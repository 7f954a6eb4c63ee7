"""Shared assertions for the shell and Dockerfile tables: exact output, and a second run changes nothing."""
from gpu2mlu.rules import load_ruleset
from gpu2mlu.shell import convert_dockerfile, convert_shell

RULES = load_ruleset("2.4")


def shell(text: str):
    return convert_shell(text, RULES)


def dockerfile(text: str):
    return convert_dockerfile(text, RULES, "Dockerfile")


def assert_converts(convert, before: str, after: str) -> None:
    result = convert(before)
    assert result.text == after
    assert result.changes, "a converted text must report its changes"
    again = convert(result.text)
    assert again.text == result.text, "a second run must change nothing"
    assert not again.changes


def assert_unchanged(convert, text: str) -> None:
    result = convert(text)
    assert result.text == text
    assert not result.changes


def finding_ids(convert, text: str) -> list:
    return [(f.id, f.line) for f in convert(text).findings]
