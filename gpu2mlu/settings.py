"""Run settings: built-in defaults, then `[tool.gpu2mlu]` in the project's pyproject.toml, then the
command line (each later source wins, key by key).

```toml
[tool.gpu2mlu]
target = "2.4"                      # torch_mlu PyTorch line
include = ["src/**", "scripts/*.sh"]  # convert only these (others are copied unchanged)
exclude = ["third_party/", "*.ipynb"] # never convert these (copied unchanged)
disable = ["backends", "GM206"]     # rule families or finding IDs to switch off
fail-on = "error"                   # --check: findings of this severity or worse fail
jobs = 4

[tool.gpu2mlu.api]                  # extra torch names, e.g. APIs newer than gpu2mlu's table
"torch.cuda.host_memory_stats" = "torch.mlu.host_memory_stats"

[tool.gpu2mlu.env]                  # extra environment variable renames
MYTEAM_CUDA_CACHE = "MYTEAM_MLU_CACHE"

[tool.gpu2mlu.run]                  # `gpu2mlu run` (CUDA mapped at run time)
cuda-absent = ["mykernels"]         # packages that must see torch.cuda.is_available() == False
```
"""
from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from gpu2mlu.rules import DEFAULT_LINE, LINES, SEVERITIES, RuleSet, load_ruleset
from gpu2mlu.rules.schema import Entry, EnvRule
from gpu2mlu.toml_positions import OWN_TABLE

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

FAIL_ON = (*SEVERITIES, "never")
_KEYS = {"target", "include", "exclude", "disable", "fail-on", "jobs", "api", "env", "run"}
_RUN_KEYS = {"cuda-absent"}
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\Z")
_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MODULE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\Z")


class SettingsError(Exception):
    """A bad value in [tool.gpu2mlu] or on the command line; the message says where."""


@dataclass(frozen=True)
class Settings:
    target: str = DEFAULT_LINE
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    disable: frozenset = frozenset()  # rule families and finding IDs
    fail_on: str = "warning"
    jobs: int = 0
    api: tuple[tuple[str, str], ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    cuda_absent: tuple[str, ...] = ()  # `gpu2mlu run`: import names that must see CUDA as absent
    source: str = ""  # the pyproject.toml the settings came from, if any
    # The project's own flags and option names whose values are devices (gpu2mlu/options.py): a
    # fact of the run, gathered before files are converted; never read from pyproject.toml.
    device_options: tuple[str, ...] = ()

    def selects(self, rel: str) -> bool:
        """Whether the file at POSIX path `rel` is converted (else copied unchanged)."""
        if self.include and not _matcher(self.include)(rel):
            return False
        return not (self.exclude and _matcher(self.exclude)(rel))

    def ruleset(self) -> RuleSet:
        return _ruleset(self.target, self.api, self.env, self.disable, self.device_options)


def find_pyproject(start: Path) -> Optional[Path]:
    """The nearest pyproject.toml at or above `start`, not crossing a repository root."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            return path
        if (candidate / ".git").exists():
            return None
    return None


def from_pyproject(path: Optional[Path]) -> dict:
    """The [tool.gpu2mlu] table, checked, as keyword arguments for Settings."""
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from None
    table = data
    for key in OWN_TABLE:
        table = table.get(key) if isinstance(table, dict) else None
    if table is None:
        return {}
    where = f"{path} [tool.gpu2mlu]"
    _check_table(table, _KEYS, where)
    values = {k.replace("-", "_"): v for k, v in table.items()}
    for key in ("include", "exclude", "disable"):
        if key in values:
            values[key] = _strings(values[key], f"{where} {key}")
    for key in ("api", "env"):
        if key in values:
            if not isinstance(values[key], dict) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in values[key].items()):
                raise SettingsError(f"{where} {key} must be a table of names to new names")
            values[key] = tuple(sorted(values[key].items()))
    if "run" in values:
        values.update(_run_table(values.pop("run"), f"{where} run"))
    values["source"] = str(path)
    return values


def _check_table(table, known, where: str) -> None:
    if not isinstance(table, dict):
        raise SettingsError(f"{where} must be a table")
    unknown = set(table) - known
    if unknown:
        raise SettingsError(f"{where}: unknown keys {', '.join(sorted(unknown))} "
                            f"(known: {', '.join(sorted(known))})")


def _run_table(table, where: str) -> dict:
    _check_table(table, _RUN_KEYS, where)
    values = {}
    if "cuda-absent" in table:
        values["cuda_absent"] = _strings(table["cuda-absent"], f"{where} cuda-absent")
    return values


def _strings(value, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"{where} must be a list of strings")
    return tuple(value)


def build(pyproject: dict, cli: dict) -> Settings:
    """Defaults < pyproject < command line. `cli` holds only the options the user gave. A bad
    value from pyproject.toml is reported with the file's path."""
    if pyproject:
        try:
            _validate(_settings(pyproject))
        except SettingsError as exc:
            raise SettingsError(f"{pyproject.get('source', 'pyproject.toml')} [tool.gpu2mlu]: {exc}") from None
    settings = _settings({**pyproject, **{k: v for k, v in cli.items() if v is not None}})
    _validate(settings)
    return settings


def _settings(values: dict) -> Settings:
    if "disable" in values:
        values = {**values, "disable": frozenset(values["disable"])}
    return Settings(**values)


def _validate(s: Settings) -> None:
    if s.target not in LINES:
        raise SettingsError(f"target {s.target!r} is not one of {', '.join(LINES)}")
    if s.fail_on not in FAIL_ON:
        raise SettingsError(f"fail-on {s.fail_on!r} is not one of {', '.join(FAIL_ON)}")
    if not isinstance(s.jobs, int) or isinstance(s.jobs, bool) or s.jobs < 0:
        raise SettingsError(f"jobs must be 0 or more, not {s.jobs!r}")
    rules = load_ruleset(s.target)
    known = set(rules.families) | set(rules.findings)
    unknown = sorted(set(s.disable) - known)
    if unknown:
        raise SettingsError(f"disable: unknown rule families or finding IDs {', '.join(unknown)} "
                            "(see `gpu2mlu --explain`)")
    for old, new in s.api:
        if not (_DOTTED.match(old) and old.startswith("torch.") and _DOTTED.match(new)):
            raise SettingsError(f"api: {old!r} = {new!r}: both must be dotted names, the first under torch.")
    for old, new in s.env:
        if not (_ENV.match(old) and _ENV.match(new)):
            raise SettingsError(f"env: {old!r} = {new!r}: both must be environment variable names")
    for name in s.cuda_absent:
        if not _MODULE.match(name):
            raise SettingsError(f"run cuda-absent: {name!r} is not an import name (like 'pkg' or 'pkg.sub')")
    for pattern in (*s.include, *s.exclude):
        if not pattern or pattern.startswith("!"):
            raise SettingsError(f"bad pattern {pattern!r}: use include and exclude instead of negation")


@functools.lru_cache(maxsize=16)
def _ruleset(target: str, api: tuple, env: tuple, disable: frozenset, device_options: tuple = ()) -> RuleSet:
    base = load_ruleset(target)
    if device_options:  # the project's flags convert like launch.toml's --device
        base = _ruleset(target, api, env, disable)
        launch = dataclasses.replace(
            base.launch, flags=base.launch.flags | {o for o in device_options if o.startswith("-")},
            override_keys=base.launch.override_keys | {o for o in device_options if not o.startswith("-")})
        return dataclasses.replace(base, launch=launch)
    if not (api or env or disable):
        return base
    entries = dict(base.entries)
    for old, new in api:
        entries[old] = Entry(old, "torch-cuda-api", target=new)
    mlu_api = set(base.mlu_api) | {new for _, new in api if base.needs_torch_mlu(new)}
    env_rules = dict(base.env)
    for old, new in env:
        env_rules[old] = EnvRule(new, None)
    return dataclasses.replace(base, entries=entries, mlu_api=frozenset(mlu_api), env=env_rules,
                               disabled=frozenset(disable))


# Patterns: gitignore-like globs on the POSIX path relative to the input folder. A pattern without
# a slash matches a file or folder name at any depth; a pattern naming a folder covers everything
# below it; `**` spans folders.
@functools.lru_cache(maxsize=64)
def _matcher(patterns: tuple[str, ...]):
    regex = re.compile("|".join(f"(?:{_glob(p)})" for p in patterns))
    return lambda rel: regex.match(rel) is not None


def _glob(pattern: str) -> str:
    anchored = "/" in pattern.rstrip("/")
    pattern = pattern.strip("/")
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1:end]
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    body = "".join(out)
    prefix = "" if anchored else "(?:.*/)?"
    return f"{prefix}{body}(?:/.*)?\\Z"
