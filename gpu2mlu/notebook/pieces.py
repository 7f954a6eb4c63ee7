"""The non-Python parts of a cell, converted by their own converters: shell commands, `%env`
magics and the files `%%writefile` cells write. Results come back as edits and findings on the
cell's source (findings numbered by cell line, without the cell number yet)."""
from __future__ import annotations

from dataclasses import replace

from gpu2mlu import kinds, shell
from gpu2mlu.edits import Edit
from gpu2mlu.notebook.ipython import ENV, FILE, SHELL, Piece
from gpu2mlu.results import Conversion, Finding
from gpu2mlu.rules import RuleSet
from gpu2mlu.values import device_or_backend, env_verdict

_NOT_CONVERTED = (kinds.OTHER, kinds.NOTEBOOK)


def convert_piece(piece: Piece, source: str, rules: RuleSet) -> tuple[list[Edit], list[Finding]]:
    if piece.kind == ENV:
        return _env(piece, source, rules)
    text = source[piece.start:piece.end]
    if piece.kind == SHELL:
        try:
            conversion = shell.convert_shell(text, rules)  # looked up here, so tests can swap it
        except kinds.Unconvertible:
            return [], []
    elif piece.kind == FILE:
        kind = kinds.kind_of(piece.name)
        gate = kinds.TRIGGERS.get(kind)
        if kind in _NOT_CONVERTED or (gate is not None and not gate.search(text.encode("utf-8", "surrogatepass"))):
            return [], []  # as the engine does with such a file in the project
        try:
            conversion = kinds.converter(kind)(text, rules, piece.name)
        except kinds.Unconvertible as exc:
            return [], [rules.finding(piece.line - 1, "GM602", piece.name, reason=str(exc))]
    else:
        raise ValueError(f"unknown piece kind {piece.kind!r}")
    return _shifted(piece, text, conversion, rules)


def _shifted(piece: Piece, text: str, conversion: Conversion, rules: RuleSet) -> tuple[list[Edit], list[Finding]]:
    edits = list(conversion.edits) or _whole_edit(text, conversion)
    findings = [replace(f, line=piece.line + f.line - 1) for f in conversion.findings]
    kept = []
    for edit in edits:
        if piece.one_line and ("\n" in edit.text or "\r" in edit.text):
            # `!cmd` runs one command line; a line the converter adds would not be shell
            added = edit.text.strip().splitlines()
            findings.append(rules.finding(piece.line, "GM601", added[0] if added else edit.rule))
            continue
        kept.append(Edit(edit.start + piece.start, edit.end + piece.start, edit.text, edit.rule))
    return kept, findings


def _whole_edit(text: str, conversion: Conversion) -> list[Edit]:
    """A converter that returned a new text but no edits: one edit over the part that differs."""
    new = conversion.text
    if new == text or not conversion.changes:
        return []
    start = 0
    while start < min(len(text), len(new)) and text[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(text), len(new)) - start and text[-1 - end] == new[-1 - end]:
        end += 1
    return [Edit(start, len(text) - end, new[start:len(new) - end], conversion.changes[0].rule)]


def _env(piece: Piece, source: str, rules: RuleSet) -> tuple[list[Edit], list[Finding]]:
    name = source[piece.start:piece.end]
    edits, findings = [], []
    verdict = env_verdict(rules, name)
    if verdict is not None:
        if verdict.new:
            edits.append(Edit(piece.start, piece.end, verdict.new, "env-var"))
        if verdict.finding:
            findings.append(rules.finding(piece.line, verdict.finding, name, new=verdict.new or "",
                                          suggestion=verdict.suggestion))
    if piece.value_start >= 0:
        value = device_or_backend(rules, source[piece.value_start:piece.value_end])
        if value is not None:
            edits.append(Edit(piece.value_start, piece.value_end, value[0], value[1]))
    return edits, findings
