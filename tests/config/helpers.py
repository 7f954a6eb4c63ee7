"""Shared assertions for the config converter: exact output, spans only, convergence."""
import textwrap

from gpu2mlu.config import convert_config
from gpu2mlu.rules import load_ruleset
from gpu2mlu.values import device_or_backend

RULES = load_ruleset("2.4")


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def convert(text: str, rel: str):
    return convert_config(text, RULES, rel)


def assert_only_spans_changed(before: str, result) -> None:
    """Outside the edited spans the output is the input byte for byte, and every edit replaces
    exactly one device/backend value or variable name."""
    kept_before, kept_after, shift, pos = [], [], 0, 0
    for edit in result.edits:
        old = before[edit.start:edit.end]
        assert device_or_backend(RULES, old) or old in RULES.env, f"an edit replaced {old!r}"
        kept_before.append(before[pos:edit.start])
        kept_after.append(result.text[pos + shift:edit.start + shift])
        shift += len(edit.text) - (edit.end - edit.start)
        pos = edit.end
    kept_before.append(before[pos:])
    kept_after.append(result.text[pos + shift:])
    assert kept_before == kept_after


def assert_converts(before: str, after: str, rel: str) -> None:
    before, after = dedent(before), dedent(after)
    result = convert(before, rel)
    assert result.text == after
    assert_only_spans_changed(before, result)
    again = convert(result.text, rel)
    assert again.text == result.text and not again.changes, "a second run must change nothing"


def assert_unchanged(text: str, rel: str) -> None:
    text = dedent(text)
    result = convert(text, rel)
    assert result.text == text
    assert not result.changes and not result.edits


def finding_ids(text: str, rel: str) -> list:
    return [(f.id, f.line) for f in convert(dedent(text), rel).findings]
