"""C, C++ and CUDA sources: never changed (kernels need a BANG C rewrite, not a rename). A file
that uses CUDA gets one finding on the line of its first use, counting the uses by API.
"""
from __future__ import annotations

import fnmatch
from collections import Counter
from typing import Optional

from gpu2mlu.changes import conversion_from_edits
from gpu2mlu.native.lexer import IDENTIFIER, INCLUDE, code_tokens, has_code
from gpu2mlu.results import Conversion, Finding
from gpu2mlu.rules import RuleSet
from gpu2mlu.source import LineIndex

CUDA_SUFFIXES = (".cu", ".cuh")
LAUNCH_LABEL = "<<<...>>> launch"
SHOWN = 5  # APIs named in the message; the rest are summed up


def cuda_uses(text: str, rules: RuleSet) -> list[tuple[str, int]]:
    """(label, offset) of every CUDA use in code, in file order."""
    native = rules.native
    uses = []
    for token in code_tokens(text):
        if token.kind == IDENTIFIER:
            if native.identifier.fullmatch(token.text):
                uses.append((token.text.lstrip(":"), token.offset))
        elif token.kind == INCLUDE:
            if any(fnmatch.fnmatchcase(token.text, glob) for glob in native.headers):
                uses.append((token.text, token.offset))  # no <>: report cells are Markdown
        else:
            uses.append((LAUNCH_LABEL, token.offset))
    return uses


def describe(uses: list[tuple[str, int]]) -> str:
    """'12 CUDA API uses: cudaMalloc ×4, cuda_runtime.h ×1, ... and 3 more'."""
    if not uses:
        return "no CUDA API use outside comments and strings"
    counts = Counter(label for label, _ in uses)
    first = {}
    for label, offset in uses:
        first.setdefault(label, offset)
    ranked = sorted(counts, key=lambda label: (-counts[label], first[label]))
    shown = ", ".join(f"{label} ×{counts[label]}" for label in ranked[:SHOWN])
    more = len(ranked) - SHOWN
    noun = "use" if len(uses) == 1 else "uses"
    return f"{len(uses)} CUDA API {noun}: {shown}" + (f" and {more} more" if more > 0 else "")


def native_finding(text: str, rules: RuleSet, rel: str) -> Optional[Finding]:
    is_cuda_file = rel.lower().endswith(CUDA_SUFFIXES)
    uses = cuda_uses(text, rules)
    if not uses and not (is_cuda_file and has_code(text)):
        return None
    label, offset = uses[0] if uses else (rel.rsplit("/", 1)[-1], 0)
    line = LineIndex(text).line_of(offset)
    return rules.finding(line, "GM320" if is_cuda_file else "GM321", label, uses=describe(uses))


def convert_native(text: str, rules: RuleSet, rel: str) -> Conversion:
    finding = native_finding(text, rules, rel)
    return conversion_from_edits(text, [], [finding] if finding else [])
