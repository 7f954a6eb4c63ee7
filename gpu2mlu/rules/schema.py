"""Typed records for the rule tables, and the checks that keep the tables honest."""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

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


SEVERITIES = ("info", "warning", "error")  # in increasing order


@dataclass(frozen=True)
class FindingSpec:
    id: str
    name: str
    message: str
    suggestion: str
    severity: str = "warning"


@dataclass(frozen=True)
class EnvRule:
    new: Optional[str]  # None: no MLU equivalent
    finding: Optional[str]
    suggestion: str = ""


@dataclass(frozen=True)
class DeviceCode:
    """Where code builds or takes apart device strings (literals.toml [device_code])."""
    string_methods: frozenset = frozenset()
    words: frozenset = frozenset()  # `_`-separated words that make a name about a device
    calls: frozenset = frozenset()  # callees whose first positional argument is a device
    other_devices: frozenset = frozenset()
    other_backends: frozenset = frozenset()

    def names_device(self, name: str) -> bool:
        return any(word in self.words for word in name.lower().split("_"))


@dataclass(frozen=True)
class TorchLine:
    """What one torch_mlu PyTorch line needs from torch (packages.toml [torch_lines])."""
    version: str  # the torch release the line runs on, e.g. "2.4.0"
    torch: str  # what to install instead of a CUDA build, as a phrase
    torchvision: str
    torchaudio: str
    later_releases: bool  # newer torch releases are fine too

    def placeholders(self, line: str) -> dict:
        return {"torch_line": line, "torch": self.torch, "torchvision": self.torchvision, "torchaudio": self.torchaudio}


@dataclass(frozen=True)
class NativeRules:
    """CUDA uses in C/C++/CUDA sources (native.toml)."""
    headers: tuple[str, ...] = ()  # globs over #include header names
    identifier: Optional["re.Pattern"] = None  # fullmatch on one (possibly ::-qualified) identifier


@dataclass(frozen=True)
class ConfigFlag:
    """GPU plumbing in a configuration file (containers.toml): reported, never changed."""
    finding: str
    role: str  # "key", "value" (under one of `under`) or "env" (a variable name)
    under: tuple[str, ...] = ()
    equals: Optional[str] = None
    prefix: Optional[str] = None
    contains: tuple[str, ...] = ()

    ROLES = ("key", "value", "env")

    @classmethod
    def from_table(cls, raw: dict, where: str) -> "ConfigFlag":
        unknown = set(raw) - set(cls.__dataclass_fields__)
        if unknown:
            raise RuleTableError(f"{where}: unknown keys {sorted(unknown)}")
        flag = cls(raw["finding"], raw["role"], tuple(raw.get("under", ())), raw.get("equals"),
                   raw.get("prefix"), tuple(raw.get("contains", ())))
        if flag.role not in cls.ROLES:
            raise RuleTableError(f"{where}: role must be one of {cls.ROLES}")
        if (flag.equals is not None) + (flag.prefix is not None) + bool(flag.contains) != 1:
            raise RuleTableError(f"{where}: give exactly one of equals, prefix, contains")
        if (flag.role == "value") != bool(flag.under):
            raise RuleTableError(f"{where}: `under` goes with role = \"value\" and only with it")
        return flag

    def words(self) -> tuple[str, ...]:
        """The literal text a matching scalar must contain."""
        return self.contains or ((self.equals,) if self.equals is not None else (self.prefix,))

    def matches(self, text: str) -> bool:
        if self.equals is not None:
            return text == self.equals
        if self.prefix is not None:
            return text.startswith(self.prefix)
        return any(word in text for word in self.contains)


@dataclass(frozen=True)
class Prefix:
    """A command that runs the command after it (sudo, env, nohup, ...)."""
    value_options: frozenset = frozenset()  # options whose value is the next word
    name_options: frozenset = frozenset()  # options whose value is a variable name (env -u NAME)
    pair_options: frozenset = frozenset()  # options that take the next two words (--mca KEY VALUE)
    name_value_options: frozenset = frozenset()  # a variable name, then its value (-genv NAME VALUE)
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
    evaluators: frozenset = frozenset()  # eval: its arguments are a command line
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
    pip_programs: frozenset = frozenset()
    pip_modules: frozenset = frozenset()
    pip_index_options: frozenset = frozenset()
    pip_value_options: frozenset = frozenset()

    def renamed_program(self, name: str) -> Optional[str]:
        return dict(self.renamed_programs).get(name)

    def prefix(self, name: str) -> Optional[Prefix]:
        return dict(self.prefixes).get(name)

    def install_verb(self, program: str) -> Optional[str]:
        return dict(self.installers).get(program)


def option_key(name: str) -> str:
    """A setting's key as frameworks.toml spells it: `--mixed-precision` → `mixed_precision`."""
    return name.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class FrameworkSetting:
    """One option of a training framework (frameworks.toml [[setting]])."""
    framework: str
    keys: frozenset
    report: tuple[tuple[str, str], ...]  # (fnmatch pattern over the value, finding ID)
    anywhere: bool = False  # the key alone identifies the framework

    def finding_for(self, value: str) -> Optional[str]:
        return next((fid for pattern, fid in self.report if fnmatch.fnmatchcase(value, pattern)), None)


@dataclass(frozen=True)
class Framework:
    """How a training framework is recognised (frameworks.toml [framework.NAME])."""
    name: str
    config_keys: frozenset = frozenset()
    calls: frozenset = frozenset()  # last names of Python callees: Trainer, Fabric
    launchers: tuple[tuple[str, ...], ...] = ()  # ("accelerate", "launch"), ("deepspeed",)
    launcher_visible_devices: Optional[str] = None  # finding for a visible-devices variable set for the launcher
    visible_devices_variables: frozenset = frozenset()
    device_variables: frozenset = frozenset()  # DS_ACCELERATOR: its value is a device name


@dataclass(frozen=True)
class FrameworkRules:
    frameworks: tuple[Framework, ...] = ()
    settings: tuple[FrameworkSetting, ...] = ()
    impl_names: frozenset = frozenset()  # options.toml [implementation_switch]
    impl_reference: frozenset = frozenset()

    def launcher(self, program: str, args: Sequence[str]) -> Optional[Framework]:
        """The framework whose launcher `program args...` is (`accelerate launch`, `deepspeed`)."""
        for framework in self.frameworks:
            for launcher in framework.launchers:
                if launcher[0] == program and tuple(args[:len(launcher) - 1]) == launcher[1:]:
                    return framework
        return None

    def setting(self, key: str, present: frozenset) -> Optional[FrameworkSetting]:
        """The setting `key` names, for the frameworks `present` (or one that counts anywhere)."""
        key = option_key(key)
        return next((s for s in self.settings
                     if key in s.keys and (s.anywhere or s.framework in present)), None)

    @property
    def names(self) -> frozenset:
        return frozenset(f.name for f in self.frameworks)

    @property
    def device_variables(self) -> frozenset:
        return frozenset().union(*(f.device_variables for f in self.frameworks))

    def words(self) -> tuple[str, ...]:
        """Literal text a file must hold for a framework setting to matter (for the gates)."""
        words = {k.rsplit(".", 1)[-1] for s in self.settings for k in s.keys}
        return tuple(sorted(words))


@dataclass
class RuleSet:
    line: str
    entries: dict[str, Entry] = field(default_factory=dict)
    profiler_calls: frozenset = frozenset()
    mlu_api: frozenset = frozenset()
    provided_by_torch_mlu: tuple[str, ...] = ()
    attribute_methods: dict[str, str] = field(default_factory=dict)  # x.is_cuda → x.is_mlu, any receiver
    called_methods: dict[str, str] = field(default_factory=dict)  # x.cuda() → x.mlu(), when called
    devices: dict[str, str] = field(default_factory=dict)
    backends: dict[str, str] = field(default_factory=dict)
    exact_literals: dict[str, str] = field(default_factory=dict)
    device_code: DeviceCode = field(default_factory=lambda: DeviceCode())
    env: dict[str, EnvRule] = field(default_factory=dict)
    # runtime.toml, for `gpu2mlu run`: which torch callables take a device (rows of names, keyword,
    # position, value, rule), the families the in-process layer leaves alone, the identity policy
    device_args: tuple = ()
    run_skip_families: tuple[str, ...] = ()
    cuda_absent_answers: dict = field(default_factory=dict)
    cuda_absent_packages: tuple[str, ...] = ()
    nccl_env_prefixes: tuple[str, ...] = ()
    cuda_env_prefixes: tuple[str, ...] = ()  # unmapped CUDA_* names: reported (GM404)
    packages: dict[str, str] = field(default_factory=dict)
    # dependency files: (glob over PEP 503 names, suggestion), first match wins
    distributions: tuple[tuple[str, str], ...] = ()
    conda_packages: tuple[tuple[str, str], ...] = ()
    mlu_since: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (version, suggestion)
    torch_line: Optional[TorchLine] = None
    native: NativeRules = NativeRules()
    config_flags: tuple[ConfigFlag, ...] = ()
    findings: dict[str, FindingSpec] = field(default_factory=dict)
    families: dict[str, str] = field(default_factory=dict)  # rule family → what it converts
    disabled: frozenset = frozenset()  # rule families switched off by the project's settings
    launch: LaunchRules = field(default_factory=LaunchRules)
    frameworks: FrameworkRules = field(default_factory=FrameworkRules)

    def finding(self, line: int, finding_id: str, name: str, cell: Optional[int] = None, **extra: str):
        """A Finding with the table's message and suggestion filled in for `name`."""
        from gpu2mlu.results import Finding  # results imports nothing from rules; keep it that way
        spec = self.findings[finding_id]
        values = {"name": name, **extra}
        return Finding(line, finding_id, spec.message.format(**values), spec.suggestion.format(**values), cell)

    def needs_torch_mlu(self, qualified: str) -> bool:
        return any(qualified == p or qualified.startswith(p + ".") for p in self.provided_by_torch_mlu)
