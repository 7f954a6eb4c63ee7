"""Configuration files (.yaml .yml .json .toml .cfg .ini): whole scalar values, converted in place.

Each format has a lexer (yaml_scalars, json_scalars, toml_scalars, ini_scalars) that validates the
file with a real parser and yields the scalars whose source text is their value; `rewrite` turns
them into edits and findings with the rules every file kind shares. Nothing is re-serialised:
comments, key order, quoting, indentation and line endings stay byte for byte.
"""
from __future__ import annotations

from gpu2mlu.changes import conversion_from_edits
from gpu2mlu.config import ini_scalars, json_scalars, toml_scalars, yaml_scalars
from gpu2mlu.config.frameworks import framework_settings, mentions_a_setting
from gpu2mlu.config.rewrite import candidates, edits_and_findings
from gpu2mlu.config.scalars import ConfigSyntaxError
from gpu2mlu.deps import dependency_findings
from gpu2mlu.kinds import Unconvertible
from gpu2mlu.results import Conversion
from gpu2mlu.rules import RuleSet

_FORMATS = {
    ".yaml": yaml_scalars, ".yml": yaml_scalars,
    ".json": json_scalars,
    ".toml": toml_scalars,
    ".cfg": ini_scalars, ".ini": ini_scalars,
}
# Files that also declare dependencies: gpu2mlu.deps reports the CUDA-only ones.
DEPENDENCY_FILES = frozenset({"pyproject.toml", "setup.cfg", "environment.yml", "environment.yaml"})


def format_of(rel: str):
    """The lexer module for `rel`, by its suffix (case-insensitive); None for other files."""
    name = rel.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return _FORMATS.get(name[dot:].lower()) if dot > 0 else None


def convert_config(text: str, rules: RuleSet, rel: str) -> Conversion:
    fmt = format_of(rel)
    if fmt is None:
        raise ValueError(f"{rel} is not a configuration file")
    declares_dependencies = rel.rsplit("/", 1)[-1] in DEPENDENCY_FILES
    findings = list(dependency_findings(text, rules, rel)) if declares_dependencies else []
    if not declares_dependencies and not candidates(rules).search(text) and not mentions_a_setting(rules, text):
        return Conversion(text)  # nothing a rule acts on: not even parsed
    try:
        scalars = list(fmt.scalars(text))
    except ConfigSyntaxError as exc:
        raise Unconvertible(f"{fmt.FORMAT} does not parse ({exc}); copied unchanged") from None
    claimed, settings = framework_settings(text, scalars, rules)  # the framework's values, not torch's
    edits, more = edits_and_findings(text, [s for i, s in enumerate(scalars) if i not in claimed], rules)
    return conversion_from_edits(text, edits, findings + settings + more, rules.disabled)
