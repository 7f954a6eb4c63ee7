"""File kinds: which converter a file goes to, decided from its name (and, for files without an
extension, its shebang line). Files of kind "other" are copied byte for byte.
"""
from __future__ import annotations

import fnmatch
import importlib
import re
from typing import Callable

PYTHON = "python"
NOTEBOOK = "notebook"
SHELL = "shell"
DOCKERFILE = "dockerfile"
CONFIG = "config"
REQUIREMENTS = "requirements"
NATIVE = "native"
OTHER = "other"
KINDS = (PYTHON, NOTEBOOK, SHELL, DOCKERFILE, CONFIG, REQUIREMENTS, NATIVE, OTHER)

_BY_SUFFIX = {
    ".py": PYTHON, ".pyw": PYTHON,
    ".ipynb": NOTEBOOK,
    ".sh": SHELL, ".bash": SHELL, ".zsh": SHELL, ".ksh": SHELL,
    ".yaml": CONFIG, ".yml": CONFIG, ".json": CONFIG, ".toml": CONFIG, ".cfg": CONFIG, ".ini": CONFIG,
    ".cu": NATIVE, ".cuh": NATIVE, ".c": NATIVE, ".cc": NATIVE, ".cpp": NATIVE, ".cxx": NATIVE,
    ".h": NATIVE, ".hh": NATIVE, ".hpp": NATIVE, ".hxx": NATIVE, ".inl": NATIVE,
}
# pip requirement files by their usual names (requirements.txt, requirements-dev.txt, dev-requirements.in,
# constraints.txt); files inside a requirements/ folder too.
_REQUIREMENTS = re.compile(r"(?:.*[-_.])?(?:requirements|constraints|reqs)(?:[-_.].*)?\.(?:txt|in)\Z", re.I)
_DOCKERFILE = ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "Containerfile", "Containerfile.*")
_SHELLS = re.compile(rb"^#![ \t]*(?:/usr)?(?:/local)?/bin/(?:env[ \t]+(?:-\S+[ \t]+)*)?(?:ba|z|k|da)?sh\b")
_PYTHONS = re.compile(rb"^#!.*\bpython")


def kind_of(rel: str, first_line: Callable[[], bytes] = lambda: b"") -> str:
    """The kind of the file at POSIX path `rel`; `first_line` reads its first line when needed."""
    name = rel.rsplit("/", 1)[-1]
    if any(fnmatch.fnmatchcase(name, p) for p in _DOCKERFILE):
        return DOCKERFILE
    if _REQUIREMENTS.match(name) or (rel.startswith("requirements/") or "/requirements/" in rel) and name.endswith(".txt"):
        return REQUIREMENTS
    dot = name.rfind(".")
    if dot > 0:
        return _BY_SUFFIX.get(name[dot:].lower(), OTHER)
    head = first_line()
    if _PYTHONS.match(head):
        return PYTHON
    if _SHELLS.match(head):
        return SHELL
    return OTHER


# kind → "module:function"; a converter takes (text, rules, rel) and returns a Conversion, and
# raises gpu2mlu.kinds.Unconvertible when the file must be copied unchanged.
_CONVERTERS = {
    PYTHON: "gpu2mlu.python.entry:convert_file",
    NOTEBOOK: "gpu2mlu.notebook:convert_notebook",
    SHELL: "gpu2mlu.shell:convert_shell_file",
    DOCKERFILE: "gpu2mlu.shell:convert_dockerfile",
    CONFIG: "gpu2mlu.config:convert_config",
    REQUIREMENTS: "gpu2mlu.deps:convert_requirements",
    NATIVE: "gpu2mlu.native:convert_native",
}

# A file of these kinds whose bytes hold none of its words needs no conversion and is not even
# decoded (case-insensitive). Python files have their own, finer gate; requirement files are
# small and always read.
# Distribution names the dependency readers (gpu2mlu.deps) report in pyproject.toml, setup.cfg and
# environment.yml that the CONFIG words do not cover; torch for pins that miss the torch_mlu line.
DEPENDENCY_WORDS = rb"torch|cudnn|cublas|cudf|cuml|cugraph|cutensor|magma|deepspeed|mmcv|gpustat|nvitop|transformer.engine|-gpu|cu\d\d"
# Keys of training frameworks' settings (rules/data/frameworks.toml), whose values are reported
# even when they hold no CUDA word (`accelerator: gpu`, `--mixed_precision fp8`).
FRAMEWORK_WORDS = rb"accelerat|strategy|mixed.precision|dynamo.backend|comm_backend_name"
TRIGGERS = {
    # notebooks: what the Python, shell and %env converters act on (CUDA-only packages included)
    NOTEBOOK: re.compile(rb"cuda|nccl|nvidia|nvml|nvcc|nvtx|cudnn|cublas|torch|--gpus|cupy|apex|flash_attn|xformers"
                         rb"|bitsandbytes|triton|tensorrt|cudf|cuml|transformer_engine|" + FRAMEWORK_WORDS, re.I),
    SHELL: re.compile(rb"cuda|nccl|nvidia|nvcc|cudnn|cublas|--gpus|nvcr|nproc|collect_env|pip|" + FRAMEWORK_WORDS, re.I),
    DOCKERFILE: re.compile(rb"cuda|nccl|nvidia|nvcc|cudnn|cublas|--gpus|nvcr|nproc|collect_env|-gpu|cu1\d\d|pytorch/pytorch|pip|conda|"
                           + FRAMEWORK_WORDS, re.I),
    CONFIG: re.compile(rb"cuda|nccl|nvidia|cublas|cudnn|apex|flash|xformers|bitsandbytes|triton|cupy|nvml|tensorrt|cu1\d\d|"
                       + DEPENDENCY_WORDS + b"|" + FRAMEWORK_WORDS, re.I),
    NATIVE: re.compile(rb"cuda|cublas|cudnn|cufft|curand|cusparse|cusolver|nccl|nvtx|nvml|nvrtc|thrust|cub::|"
                       rb"__global__|__device__|__shared__|__constant__|threadIdx|blockIdx|blockDim|gridDim|"
                       rb"<<<|THC|\.cuh|\bcu(?:Init|Ctx|Module|Launch|Mem|Stream|Event|Device|Func|Graph|Link|Tex|Surf|Array|"
                       rb"Pointer|result|context)", re.I),
}


class Unconvertible(Exception):
    """The file cannot be converted safely; it is copied unchanged and listed as skipped."""


def converter(kind: str):
    module, _, function = _CONVERTERS[kind].partition(":")
    return getattr(importlib.import_module(module), function)
