"""Words without which no rule can fire: a file that has none of them is never fully parsed."""
from __future__ import annotations

import re

from gpu2mlu.rules import RuleSet

# Case-insensitive stems that cover the CUDA names, literals and variables in the tables.
STEMS = ("cuda", "nccl", "nvtx", "nvml", "cudnn", "cublas", "nvidia")
# Words that fire rules without a CUDA stem; table names without a stem are added below.
_WORDS = ("jit", "torch.compile", "cpp_extension", "use_cuda", "GradScaler", "autocast")

_cache: dict[str, re.Pattern] = {}


def _stemless(name: str) -> bool:
    return not any(s in name.lower() for s in STEMS)


def trigger_pattern(rules: RuleSet) -> re.Pattern:
    pattern = _cache.get(rules.line)
    if pattern is None:
        words = set(_WORDS)
        words.update(name.split(".")[0] for name in rules.packages if _stemless(name))
        for entry in rules.entries.values():
            segments = entry.name.split(".")
            if _stemless(entry.name) and not words.intersection(segments):
                words.add(segments[-1])
        alternatives = [f"(?i:{'|'.join(STEMS)})"]
        alternatives += [re.escape(w) for w in sorted(words, key=len, reverse=True)]
        pattern = _cache[rules.line] = re.compile("|".join(alternatives))
    return pattern


def names_pattern(names) -> "re.Pattern | None":
    names = sorted(set(names), key=len, reverse=True)
    if not names:
        return None
    return re.compile(r"\b(?:%s)\b" % "|".join(map(re.escape, names)))
