"""From edits on a cell's decoded source to edits on the notebook's JSON text.

Unchanged characters keep their raw JSON spelling, so only the inserted text is encoded (in the
notebook's escape style). In a list-style source (one string per line, as Jupyter writes it), a
newline an edit adds in front of more text ends the list item: the item is closed and a new one
opened with the list's own separator, so an added `import torch_mlu` line is an item of its own.
"""
from __future__ import annotations

import bisect
import re

from gpu2mlu.edits import Edit
from gpu2mlu.notebook.escapes import EscapeStyle, raw_chars
from gpu2mlu.notebook.jsonscan import SourceSpan

_LINES = re.compile(r"[^\n]*\n|[^\n]+")


class SpliceError(Exception):
    """An edit that does not fit the source it was made for: a bug, never a property of the input."""


def json_edits(text: str, span: SourceSpan, edits: list[Edit], style: EscapeStyle, separator: str) -> list[Edit]:
    """`edits` (on the cell's decoded source) as edits on the notebook text `text`."""
    tokens = span.tokens
    if not tokens:
        raise SpliceError("edit in an empty source")
    starts = [0]
    for token in tokens:
        starts.append(starts[-1] + len(token.value))
    raw: dict[int, list[int]] = {}

    def position(k: int, offset: int) -> int:
        """Absolute offset in `text` of character `offset` of item k's value."""
        if k not in raw:
            token = tokens[k]
            positions = [token.start + 1]
            for chunk in raw_chars(text[token.start:token.end], token.value):
                positions.append(positions[-1] + len(chunk))
            raw[k] = positions
        return raw[k][offset - starts[k]]

    def item(offset: int, at_start: bool) -> int:
        if not 0 <= offset <= starts[-1]:
            raise SpliceError(f"offset {offset} outside the source")
        k = bisect.bisect_right(starts, offset) - 1 if at_start else bisect.bisect_left(starts, offset) - 1
        return min(max(k, 0), len(tokens) - 1)

    result = []
    for edit in edits:
        a, b = edit.start, edit.end
        if a == b:
            value = span.text
            at_start = a == 0 or (a < starts[-1] and a in starts and value[a - 1] == "\n")
            ks = ke = item(a, at_start)
        else:
            ks, ke = item(a, True), item(b, False)
        new = style.encode(edit.text)
        if span.is_list:
            head = tokens[ks].value[:a - starts[ks]]
            tail = tokens[ke].value[b - starts[ke]:]
            new = _split(edit.text, head, tail, a == b, style, _separator(text, span, ks, separator))
        result.append(Edit(position(ks, a), position(ke, b), new, edit.rule))
    return result


def _split(inserted: str, head: str, tail: str, insertion: bool, style: EscapeStyle, sep: str) -> str:
    """Encode `inserted`, ending the list item after each newline that more text follows."""
    between = '"' + sep + '"'
    lines = _LINES.findall(inserted)
    out = []
    if insertion and lines and not tail and head.endswith("\n"):
        out.append(between)  # new lines after the item's last line
    for i, line in enumerate(lines):
        out.append(style.encode(line))
        if line.endswith("\n") and (i + 1 < len(lines) or tail):
            out.append(between)
    return "".join(out)


def _separator(text: str, span: SourceSpan, k: int, default: str) -> str:
    """The raw text between two items of this list: its neighbour's, else its layout's."""
    tokens = span.tokens
    if len(tokens) >= 2:
        k = min(k, len(tokens) - 2)
        return text[tokens[k].end:tokens[k + 1].start]
    layout = text[span.open + 1:tokens[0].start]
    return "," + layout if "\n" in layout else default
