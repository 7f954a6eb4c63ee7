"""Typed records for the rule tables, and the checks that keep the tables honest."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

LINES = ("2.1", "2.3", "2.4")  # PyTorch lines of torch_mlu; later releases follow 2.4
DEFAULT_LINE = "2.4"


class RuleTableError(Exception):
    """A data table is malformed; the message names the file and entry."""


@dataclass(frozen=True)
class CallSpec:
    """Argument rules for calls of one API (see gpu2mlu/python/calls.py)."""
    insert: Optional[str] = None  # leading positional argument to add
    insert_unless_positional: Optional[int] = None  # ...unless this many positionals exist
    insert_unless_keyword: Optional[str] = None  # ...or this keyword is given
    positional_to_keywords: tuple[str, ...] = ()  # old positional parameters, spelled by keyword
    rename_keywords: tuple[tuple[str, str], ...] = ()
    add_keyword: Optional[str] = None  # keyword argument to append (bare decorators get a call)
    only_with_positional_fewer_than: Optional[int] = None  # rename only calls with fewer positionals

    @classmethod
    def from_table(cls, raw: dict, where: str) -> "CallSpec":
        known = set(cls.__dataclass_fields__)
        unknown = set(raw) - known
        if unknown:
            raise RuleTableError(f"{where}: unknown call keys {sorted(unknown)}")
        values = dict(raw)
        values["positional_to_keywords"] = tuple(raw.get("positional_to_keywords", ()))
        values["rename_keywords"] = tuple(sorted(raw.get("rename_keywords", {}).items()))
        return cls(**values)


@dataclass(frozen=True)
class Entry:
    """What one CUDA-side qualified name becomes."""
    name: str
    rule: str
    target: Optional[str] = None  # None: the name stays as it is
    finding: Optional[str] = None
    call: Optional[CallSpec] = None
    is_module: bool = False
    closed: bool = False  # module: members not listed are unknown to torch_mlu

    @property
    def new_name(self) -> str:
        return self.target or self.name


@dataclass(frozen=True)
class FindingSpec:
    id: str
    name: str
    message: str
    suggestion: str


@dataclass(frozen=True)
class EnvRule:
    new: Optional[str]  # None: no MLU equivalent
    finding: Optional[str]
    suggestion: str = ""


@dataclass(frozen=True)
class Prefix:
    """A command that runs the command after it (sudo, env, nohup, ...)."""
    value_options: frozenset = frozenset()  # options whose value is the next word
    name_options: frozenset = frozenset()  # options whose value is a variable name (env -u NAME)
    positionals: int = 0  # plain arguments before the command (timeout DURATION cmd)
    script_argument: bool = False  # a lone argument with spaces is a script (watch "a | b")


@dataclass(frozen=True)
class LaunchRules:
    """launch.toml: shell scripts, launch commands and Dockerfiles."""
    flags: frozenset = frozenset()  # --device, --dist-backend, ...
    override_keys: frozenset = frozenset()  # device=cuda, trainer.device=cuda
    renamed_programs: tuple[tuple[str, str], ...] = ()  # (nvidia-smi, cnmon)
    compilers: frozenset = frozenset()
    gpu_docker: frozenset = frozenset()
    lookups: frozenset = frozenset()
    env_builtins: frozenset = frozenset()
    function_options: frozenset = frozenset()
    shells: frozenset = frozenset()
    prose: frozenset = frozenset()
    prefixes: tuple[tuple[str, Prefix], ...] = ()
    launcher_programs: frozenset = frozenset()
    launcher_modules: frozenset = frozenset()
    nproc_flags: frozenset = frozenset()
    nproc_values: frozenset = frozenset()
    cuda_report_modules: frozenset = frozenset()
    docker_programs: frozenset = frozenset()
    docker_run: frozenset = frozenset()  # "run", "container run", ...
    docker_exec: frozenset = frozenset()
    docker_global_value_options: frozenset = frozenset()
    docker_value_options: frozenset = frozenset()
    docker_gpu_options: frozenset = frozenset()
    docker_runtime_values: frozenset = frozenset()
    docker_device_prefixes: tuple[str, ...] = ()
    docker_env_options: frozenset = frozenset()
    cuda_images: tuple[str, ...] = ()  # fnmatch patterns
    installers: tuple[tuple[str, str], ...] = ()  # (apt-get, install)
    installer_value_options: frozenset = frozenset()
    cuda_system_packages: tuple[str, ...] = ()  # fnmatch patterns

    def renamed_program(self, name: str) -> Optional[str]:
        return dict(self.renamed_programs).get(name)

    def prefix(self, name: str) -> Optional[Prefix]:
        return dict(self.prefixes).get(name)

    def install_verb(self, program: str) -> Optional[str]:
        return dict(self.installers).get(program)


@dataclass
class RuleSet:
    line: str
    entries: dict[str, Entry] = field(default_factory=dict)
    profiler_calls: frozenset = frozenset()
    mlu_api: frozenset = frozenset()
    provided_by_torch_mlu: tuple[str, ...] = ()
    devices: dict[str, str] = field(default_factory=dict)
    backends: dict[str, str] = field(default_factory=dict)
    exact_literals: dict[str, str] = field(default_factory=dict)
    env: dict[str, EnvRule] = field(default_factory=dict)
    nccl_env_prefixes: tuple[str, ...] = ()
    packages: dict[str, str] = field(default_factory=dict)
    findings: dict[str, FindingSpec] = field(default_factory=dict)
    launch: LaunchRules = field(default_factory=LaunchRules)

    def finding(self, line: int, finding_id: str, name: str, cell: Optional[int] = None, **extra: str):
        """A Finding with the table's message and suggestion filled in for `name`."""
        from gpu2mlu.results import Finding  # results imports nothing from rules; keep it that way
        spec = self.findings[finding_id]
        values = {"name": name, **extra}
        return Finding(line, finding_id, spec.message.format(**values), spec.suggestion.format(**values), cell)

    def needs_torch_mlu(self, qualified: str) -> bool:
        return any(qualified == p or qualified.startswith(p + ".") for p in self.provided_by_torch_mlu)
