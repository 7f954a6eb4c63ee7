"""The rule tables (data/*.toml), loaded into one RuleSet per torch_mlu PyTorch line."""
from __future__ import annotations

import functools
import re
from importlib import resources

from gpu2mlu.rules.schema import (
    DEFAULT_LINE, LINES, SEVERITIES, CallSpec, ConfigFlag, DeviceCode, Entry, EnvRule, FindingSpec, Framework,
    FrameworkRules, FrameworkSetting, LaunchRules, NativeRules, Prefix, RuleSet, RuleTableError, TorchLine,
    option_key,
)

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

__all__ = ["DEFAULT_LINE", "LINES", "SEVERITIES", "RuleSet", "RuleTableError", "load_ruleset", "load_table"]


def load_table(name: str) -> dict:
    text = resources.files("gpu2mlu.rules").joinpath("data", name).read_text(encoding="utf-8")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleTableError(f"{name}: {exc}") from None


def _applies(raw: dict, line: str, where: str) -> bool:
    lines = raw.get("lines", LINES)
    bad = set(lines) - set(LINES)
    if bad:
        raise RuleTableError(f"{where}: unknown lines {sorted(bad)}")
    return line in lines


def _add(entries: dict, entry: Entry, where: str) -> None:
    if entry.name in entries:
        raise RuleTableError(f"{where}: {entry.name} is defined twice for this line")
    entries[entry.name] = entry


def _module_entries(raw: dict, where: str):
    cuda, mlu, rule = raw["cuda"], raw.get("mlu"), raw["rule"]
    yield Entry(cuda, rule, target=mlu, is_module=True, closed=raw.get("closed", False))
    same, renamed = raw.get("same", []), raw.get("renamed", {})
    missing, flagged = raw.get("missing", {}), raw.get("flagged", {})
    for member in flagged:
        if member not in same and member not in renamed:
            raise RuleTableError(f"{where}: flagged {member} is neither in same nor renamed")
    overlap = set(missing) & (set(same) | set(renamed))
    if overlap:
        raise RuleTableError(f"{where}: {sorted(overlap)} both missing and present")
    for member in [*same, *renamed]:
        new = f"{mlu}.{renamed.get(member, member)}" if mlu else None
        yield Entry(f"{cuda}.{member}", rule, target=new, finding=flagged.get(member))
    for member, finding in missing.items():
        yield Entry(f"{cuda}.{member}", rule, finding=finding)


def _api_entry(raw: dict, where: str) -> Entry:
    call = raw.get("call")
    return Entry(
        raw["cuda"], raw["rule"], target=raw.get("mlu"), finding=raw.get("finding"),
        call=CallSpec.from_table(call, where) if call else None,
    )


def _load_api(rs: RuleSet, line: str) -> None:
    table = load_table("torch_api.toml")
    entries: dict[str, Entry] = {}
    for i, raw in enumerate(table.get("module", [])):
        where = f"torch_api.toml module #{i + 1} ({raw.get('cuda')})"
        if _applies(raw, line, where):
            for entry in _module_entries(raw, where):
                if entry.name in entries and not entry.is_module:
                    # an [[api]] or a submodule block may refine a member; the member list wins
                    continue
                entries[entry.name] = entry
    for i, raw in enumerate(table.get("api", [])):
        where = f"torch_api.toml api #{i + 1} ({raw.get('cuda')})"
        if _applies(raw, line, where):
            entry = _api_entry(raw, where)
            base = entries.get(entry.name)
            if base is not None and base.is_module:
                raise RuleTableError(f"{where}: {entry.name} is a module")
            entries[entry.name] = entry  # an [[api]] row refines a module member
    profiler = set()
    for raw in table.get("call", []):
        if raw.get("use_cuda_keyword"):
            profiler.update(raw["names"])
    rs.entries = entries
    rs.profiler_calls = frozenset(profiler)
    rs.provided_by_torch_mlu = tuple(table["provided_by_torch_mlu"]["prefixes"])
    api = {"torch.mlu"}
    for entry in entries.values():
        if entry.target and rs.needs_torch_mlu(entry.target):
            api.add(entry.target)
    api.update(table.get("mlu_only", {}).get("names", []))
    rs.mlu_api = frozenset(api)
    rs.attribute_methods = dict(table["methods"]["attributes"])
    rs.called_methods = dict(table["methods"]["called"])


def _load_literals(rs: RuleSet) -> None:
    table = load_table("literals.toml")
    rs.devices = dict(table["device"])
    rs.backends = dict(table["backend"])
    exact = dict(table["exact"])
    for entry in rs.entries.values():
        leaf = entry.name.rsplit(".", 1)[-1]
        if entry.name.startswith("torch.cuda.") and entry.target and leaf.endswith(("Tensor", "Storage")):
            exact[entry.name] = entry.target  # Tensor.type('torch.cuda.FloatTensor')
    rs.exact_literals = exact
    code = table["device_code"]
    unknown = set(code) - set(DeviceCode.__dataclass_fields__)
    if unknown:
        raise RuleTableError(f"literals.toml device_code: unknown keys {sorted(unknown)}")
    rs.device_code = DeviceCode(**{key: frozenset(values) for key, values in code.items()})


def _load_env(rs: RuleSet) -> None:
    table = load_table("env.toml")
    env = {name: EnvRule(new, None) for name, new in table["renamed"].items()}
    for name, raw in table["different_values"].items():
        env[name] = EnvRule(raw["mlu"], "GM403", raw["suggestion"])
    for name in table["missing"]["names"]:
        env[name] = EnvRule(None, "GM401")
    for name in table["toolkit"]["names"]:
        env[name] = EnvRule(None, "GM405")
    rs.env = env
    rs.nccl_env_prefixes = tuple(table["nccl_prefixes"]["prefixes"])
    rs.cuda_env_prefixes = tuple(table["cuda_prefixes"]["prefixes"])


def _load_config_flags(rs: RuleSet) -> None:
    table = load_table("containers.toml")
    rs.config_flags = tuple(
        ConfigFlag.from_table(raw, f"containers.toml flag #{i + 1}") for i, raw in enumerate(table["flag"])
    )


def _load_launch(rs: RuleSet) -> None:
    t = load_table("launch.toml")
    programs, launchers, docker = t["programs"], t["launchers"], t["docker"]
    packages = t["system_packages"]
    prefixes = []
    known = {"value_options", "name_options", "pair_options", "name_value_options", "positionals",
             "script_argument", "same_as"}
    for name, raw in t["prefixes"].items():
        unknown = set(raw) - known
        if unknown:
            raise RuleTableError(f"launch.toml prefixes.{name}: unknown keys {sorted(unknown)}")
        if "same_as" in raw:
            if set(raw) != {"same_as"} or raw["same_as"] not in t["prefixes"]:
                raise RuleTableError(f"launch.toml prefixes.{name}: same_as names another prefix, alone")
            raw = t["prefixes"][raw["same_as"]]
        prefixes.append((name, Prefix(
            frozenset(raw.get("value_options", ())), frozenset(raw.get("name_options", ())),
            frozenset(raw.get("pair_options", ())), frozenset(raw.get("name_value_options", ())),
            raw.get("positionals", 0), raw.get("script_argument", False))))
    rs.launch = LaunchRules(
        flags=frozenset(t["flags"]["names"]),
        override_keys=frozenset(t["overrides"]["keys"]),
        renamed_programs=tuple(sorted(programs["renamed"].items())),
        compilers=frozenset(programs["compilers"]),
        gpu_docker=frozenset(programs["gpu_docker"]),
        lookups=frozenset(programs["lookups"]),
        env_builtins=frozenset(programs["env_builtins"]),
        function_options=frozenset(programs["function_options"]),
        shells=frozenset(programs["shells"]),
        evaluators=frozenset(programs["evaluators"]),
        prose=frozenset(programs["prose"]),
        prefixes=tuple(prefixes),
        launcher_programs=frozenset(launchers["programs"]),
        launcher_modules=frozenset(launchers["modules"]),
        nproc_flags=frozenset(launchers["nproc_flags"]),
        nproc_values=frozenset(launchers["nproc_values"]),
        cuda_report_modules=frozenset(launchers["cuda_report_modules"]),
        docker_programs=frozenset(docker["programs"]),
        docker_run=frozenset(docker["run"]),
        docker_exec=frozenset(docker["exec"]),
        docker_global_value_options=frozenset(docker["global_value_options"]),
        docker_value_options=frozenset(docker["value_options"]),
        docker_gpu_options=frozenset(docker["gpu_options"]),
        docker_runtime_values=frozenset(docker["runtime_values"]),
        docker_device_prefixes=tuple(docker["device_prefixes"]),
        docker_env_options=frozenset(docker["env_options"]),
        cuda_images=tuple(t["images"]["cuda"]),
        installers=tuple(sorted(packages["installers"].items())),
        installer_value_options=frozenset(packages["value_options"]),
        cuda_system_packages=tuple(packages["cuda"]),
        pip_programs=frozenset(t["pip"]["programs"]),
        pip_modules=frozenset(t["pip"]["modules"]),
        pip_index_options=frozenset(t["pip"]["index_options"]),
        pip_value_options=frozenset(t["pip"]["value_options"]),
    )


def _load_frameworks(rs: RuleSet) -> None:
    table = load_table("frameworks.toml")
    frameworks = []
    for name, raw in table["framework"].items():
        unknown = set(raw) - {"config_keys", "calls", "launchers", "launcher_visible_devices",
                              "visible_devices_variables", "device_variables"}
        if unknown:
            raise RuleTableError(f"frameworks.toml framework.{name}: unknown keys {sorted(unknown)}")
        frameworks.append(Framework(
            name, frozenset(raw.get("config_keys", ())), frozenset(raw.get("calls", ())),
            tuple(tuple(launcher.split()) for launcher in raw.get("launchers", ())),
            raw.get("launcher_visible_devices"), frozenset(raw.get("visible_devices_variables", ())),
            frozenset(raw.get("device_variables", ()))))
    settings = []
    for i, raw in enumerate(table["setting"]):
        where = f"frameworks.toml setting #{i + 1}"
        unknown = set(raw) - {"framework", "keys", "report", "anywhere"}
        if unknown or raw.get("framework") not in table["framework"]:
            raise RuleTableError(f"{where}: unknown keys {sorted(unknown)} or framework {raw.get('framework')!r}")
        settings.append(FrameworkSetting(raw["framework"], frozenset(option_key(k) for k in raw["keys"]),
                                         tuple(raw["report"].items()), raw.get("anywhere", False)))
    switch = load_table("options.toml")["implementation_switch"]
    rs.frameworks = FrameworkRules(tuple(frameworks), tuple(settings), frozenset(switch["names"]),
                                   frozenset(switch["reference"]))


def _load_findings(rs: RuleSet) -> None:
    table = load_table("findings.toml")
    for fid, raw in table.items():
        if raw.get("severity") not in SEVERITIES:
            raise RuleTableError(f"findings.toml {fid}: severity must be one of {', '.join(SEVERITIES)}")
    rs.findings = {
        fid: FindingSpec(fid, raw["name"], raw["message"], raw["suggestion"], raw["severity"])
        for fid, raw in table.items()
    }
    rs.families = {name: raw["converts"] for name, raw in load_table("families.toml").items()}
    used = {e.finding for e in rs.entries.values() if e.finding}
    unknown = used - set(rs.findings)
    if unknown:
        raise RuleTableError(f"torch_api.toml uses undefined findings {sorted(unknown)}")
    unknown = {f.finding for f in rs.config_flags} - set(rs.findings)
    if unknown:
        raise RuleTableError(f"containers.toml uses undefined findings {sorted(unknown)}")
    unknown = ({fid for s in rs.frameworks.settings for _, fid in s.report}
               | {f.launcher_visible_devices for f in rs.frameworks.frameworks if f.launcher_visible_devices}
               ) - set(rs.findings)
    if unknown:
        raise RuleTableError(f"frameworks.toml uses undefined findings {sorted(unknown)}")


def _load_packages(rs: RuleSet, line: str) -> None:
    table = load_table("packages.toml")
    rs.packages = dict(table["cuda_only"])
    rs.distributions = tuple(table["distributions"].items())
    rs.conda_packages = tuple(table["conda"].items())
    rs.mlu_since = {name: (raw["version"], raw["suggestion"]) for name, raw in table["mlu_since"].items()}
    raw = table["torch_lines"].get(line)
    if raw is None:
        raise RuleTableError(f"packages.toml: no [torch_lines.\"{line}\"]")
    rs.torch_line = TorchLine(raw["version"], raw["torch"], raw["torchvision"], raw["torchaudio"],
                              raw["later_releases"])


def _load_native(rs: RuleSet) -> None:
    table = load_table("native.toml")
    patterns = table["identifiers"]["patterns"]
    try:
        identifier = re.compile("|".join(f"(?:{p})" for p in patterns))
    except re.error as exc:
        raise RuleTableError(f"native.toml identifiers: {exc}") from None
    rs.native = NativeRules(tuple(table["includes"]["headers"]), identifier)


DEVICE_ARG_VALUES = ("device", "device_type", "devices", "map_location", "backend", "profiler_key",
                     "activities")


def _load_runtime(rs: RuleSet) -> None:
    table = load_table("runtime.toml")
    rows = []
    for i, raw in enumerate(table["device_args"]):
        unknown = set(raw) - {"names", "keyword", "position", "value", "rule"}
        value = raw.get("value", "device")
        if unknown or value not in DEVICE_ARG_VALUES or not raw.get("names") or not raw.get("keyword"):
            raise RuleTableError(f"runtime.toml device_args #{i + 1}: unknown keys {sorted(unknown)}, "
                                 f"or value not one of {DEVICE_ARG_VALUES}, or no names/keyword")
        rows.append({"names": list(raw["names"]), "keyword": raw["keyword"],
                     "position": raw.get("position"), "value": value,
                     "rule": raw.get("rule", "device-literal")})
    rs.device_args = tuple(rows)
    rs.run_skip_families = tuple(table["in_process"]["skip_families"])
    rs.cuda_absent_answers = dict(table["identity"]["absent"])
    rs.cuda_absent_packages = tuple(table["identity"]["cuda_absent"])


@functools.lru_cache(maxsize=None)
def load_ruleset(line: str = DEFAULT_LINE) -> RuleSet:
    """All rules for one PyTorch line of torch_mlu ("2.1", "2.3" or "2.4")."""
    if line not in LINES:
        raise RuleTableError(f"unknown torch_mlu PyTorch line {line!r}; choose one of {', '.join(LINES)}")
    rs = RuleSet(line=line)
    _load_api(rs, line)
    _load_literals(rs)
    _load_env(rs)
    _load_config_flags(rs)
    _load_launch(rs)
    _load_frameworks(rs)
    _load_findings(rs)
    _load_packages(rs, line)
    _load_native(rs)
    _load_runtime(rs)
    return rs
