"""What an `add_argument(...)` call declares: its flags, its dest, and the string values it offers
(choices and default). Read by the Python converter (implementation switches, GM230) and by the
project pre-pass that tells the shell converter which of the project's flags take device values."""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator, Optional


@dataclass(frozen=True)
class DeclaredOption:
    flags: tuple[str, ...]  # "--prefetch-mode", "-p"
    dest: str  # "prefetch_mode"
    choices: tuple[str, ...]  # the string choices
    defaults: tuple[str, ...]  # string constants anywhere in default= ("cuda" if ... else "cpu")
    line: int


def declared_option(call: ast.Call) -> Optional[DeclaredOption]:
    """The option an `x.add_argument(...)` call declares; None for other calls and positionals."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "add_argument"):
        return None
    flags = tuple(a.value for a in call.args
                  if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value.startswith("-"))
    if not flags:
        return None
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    dest = keywords.get("dest")
    if isinstance(dest, ast.Constant) and isinstance(dest.value, str):
        name = dest.value
    else:  # argparse: the first long option, else the first short one, without dashes
        first = next((f for f in flags if f.startswith("--")), flags[0])
        name = first.lstrip("-").replace("-", "_")
    choices = keywords.get("choices")
    listed = choices.elts if isinstance(choices, (ast.List, ast.Tuple, ast.Set)) else []
    return DeclaredOption(
        flags, name,
        tuple(e.value for e in listed if isinstance(e, ast.Constant) and isinstance(e.value, str)),
        tuple(_strings(keywords["default"])) if "default" in keywords else (),
        call.lineno)


def _strings(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.value


def declared_options(tree: ast.AST) -> Iterator[DeclaredOption]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            option = declared_option(node)
            if option is not None:
                yield option
