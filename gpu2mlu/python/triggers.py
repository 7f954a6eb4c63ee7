"""Words without which no rule can fire: a file that has none of them is never fully parsed.

Plain substring search (C speed) rather than one big regex: Python's `re` tries every
alternative at every position, which costs more than parsing the few files that match.
"""
from __future__ import annotations

import re

from gpu2mlu.rules import RuleSet

# Case-sensitive on purpose: prose says "CUDA" with spaces around it; code says `.cuda`,
# 'cuda:0', CUDA_VISIBLE_DEVICES, ProfilerActivity.CUDA, CUDAGraph.
TRIGGER_WORDS = (
    "cuda", "Cuda", "CUDA_", "_CUDA", ".CUDA", "CUDAGraph", "CUDAPluggable", "CUDAExtension",
    "nccl", "NCCL", "nvtx", "cudnn", "CUBLAS", "NVIDIA_", "GradScaler", "DataParallel",
    "data_parallel", "torch.jit", "jit.script", "jit.trace", "torch.compile", "cpp_extension",
    "autocast_gpu", "autocast_enabled",
    "comm_backend_name", "accelerator=", "accelerator =", "strategy=", "strategy =",  # frameworks.py
)
_IMPORT_LINE = re.compile(r"^[ \t]*(?:import|from)[ \t]+([\w.]+)", re.M)

def _packages(rules: RuleSet) -> frozenset:
    return frozenset(name.split(".")[0] for name in rules.packages)


def is_triggered(text: str, rules: RuleSet) -> bool:
    if any(w in text for w in TRIGGER_WORDS):
        return True
    packages = _packages(rules)
    return any(m.group(1).split(".")[0] in packages for m in _IMPORT_LINE.finditer(text))


def trigger_offsets(text: str, words) -> list[int]:
    offsets = []
    for word in words:
        i = text.find(word)
        while i >= 0:
            offsets.append(i)
            i = text.find(word, i + 1)
    return offsets


def names_pattern(names) -> "re.Pattern | None":
    names = sorted(set(names), key=len, reverse=True)
    if not names:
        return None
    return re.compile(r"\b(?:%s)\b" % "|".join(map(re.escape, names)))
