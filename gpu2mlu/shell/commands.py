"""What the commands of a script need: renamed variables and programs, device and backend values
after launch flags, and findings for what must be done by hand.

Works on words (from the shell lexer, or from a Dockerfile's JSON exec form), so every place a
command can appear converts the same way. Offsets in the result are offsets in the analysed text;
callers that analysed a derived text map them back (see `Analysis.mapped`).
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

from gpu2mlu.edits import Edit
from gpu2mlu.results import Finding
from gpu2mlu.rules import RuleSet
from gpu2mlu.shell.lexer import DYNAMIC, Script, Word, lex
from gpu2mlu.values import device_or_backend, env_verdict

# Finding IDs (messages and suggestions in rules/data/findings.toml).
NVIDIA_SMI_OPTIONS = "GM500"
NVIDIA_SMI_PATH = "GM501"
CUDA_COMPILER = "GM502"
DOCKER_NVIDIA_GPUS = "GM503"
NPROC_FROM_CUDA = "GM504"
CUDA_IMAGE = "GM505"
CUDA_SYSTEM_PACKAGE = "GM506"
CUDA_ENV_REPORT = "GM507"

_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[[^\]]*\])?\+?=")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?=\Z|\+?=|\[)")
_OVERRIDE = re.compile(r"\+{0,2}(?:[A-Za-z_][\w-]*\.)*([A-Za-z_][\w-]*)=")
_PYTHON = re.compile(r"python[0-9.]*")
# A word that is nothing but one variable's expansion: $cmd, ${cmd}, "$cmd", "${cmd}".
_EXPANSION = re.compile(r'("?)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))\1\Z')
_MAX_DEPTH = 4  # bash -c "sh -c '...'" nesting we follow


@dataclass(frozen=True)
class Note:
    """A finding anchored at an offset of the analysed text (lines are computed by the caller)."""
    offset: int
    id: str
    name: str
    extra: tuple[tuple[str, str], ...] = ()
    finding: Optional[Finding] = None  # already worded (dependency findings); its line is replaced


@dataclass
class Analysis:
    edits: list[Edit] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    script: Optional[Script] = None  # the lexed script, when the text was a script

    def mapped(self, span: Callable[[int, int], Optional[tuple[int, int]]],
               offset: Callable[[int], int]) -> "Analysis":
        """The same result in an outer text: `span` maps an edited span (None: the characters are not
        written contiguously there, so the edit is dropped), `offset` maps a finding's position."""
        edits = []
        for e in self.edits:
            target = span(e.start, e.end)
            if target is not None:
                edits.append(Edit(target[0], target[1], e.text, e.rule))
        notes = [Note(offset(n.offset), n.id, n.name, n.extra, n.finding) for n in self.notes]
        return Analysis(edits, notes, self.script)


def analyze_script(text: str, rules: RuleSet, depth: int = 0) -> Analysis:
    """Edits and findings for a shell script (or a fragment of one)."""
    script = lex(text)
    c = _Collector(text, rules, depth)
    for use in script.uses:
        c.env_name(use.start, use.end, use.name)
    for words in script.commands:
        c.command(words)
    c.command_strings()
    return Analysis(c.edits, c.notes, script)


def _analyze_arguments(text: str, rules: RuleSet, depth: int) -> Analysis:
    """Words appended to a command line held in a variable (`cmd+=" --device cuda"`): launch
    flags only, there is no program among them."""
    script = lex(text)
    c = _Collector(text, rules, depth)
    for use in script.uses:
        c.env_name(use.start, use.end, use.name)
    c.flags([w for words in script.commands for w in words])
    return Analysis(c.edits, c.notes, script)


def analyze_words(words: Sequence[Word], text: str, rules: RuleSet) -> Analysis:
    """Edits and findings for one command given as words (a Dockerfile exec form); `text` is the
    text the words' offsets point into."""
    c = _Collector(text, rules, 0)
    if words and words[0].value.startswith("-"):
        c.flags(words)  # CMD arguments for an ENTRYPOINT: no program of their own
    else:
        c.command(list(words))
    return Analysis(c.edits, c.notes)


def analyze_env(text: str, rules: RuleSet, legacy_form: bool) -> Analysis:
    """Dockerfile ENV/ARG arguments: NAME=value pairs or bare NAMEs, and $NAME uses in the values.
    With `legacy_form`, a first word without "=" is the name of `ENV NAME value...`."""
    script = lex(text)
    c = _Collector(text, rules, 0)
    for use in script.uses:
        c.env_name(use.start, use.end, use.name)
    words = [w for command in script.commands for w in command]
    if legacy_form and words and "=" not in words[0].value:
        words = words[:1]
    for word in words:
        if not c.assignment(word):
            c.env_word(word)
    return Analysis(c.edits, c.notes, script)


def cuda_image(rules: RuleSet, image: str) -> bool:
    ref = image.lower()
    return any(fnmatch.fnmatchcase(ref, p) for p in rules.launch.cuda_images)


class _Collector:
    def __init__(self, text: str, rules: RuleSet, depth: int) -> None:
        self.text = text
        self.rules = rules
        self.launch = rules.launch
        self.depth = depth
        self.edits: list[Edit] = []
        self.notes: list[Note] = []
        # Command lines kept in variables: the names run as commands ($cmd, eval "$cmd",
        # bash -c "$cmd"), and every assignment seen (name, word, offset of the value, +=).
        self.run_variables: set[str] = set()
        self.assigned: list[tuple[str, Word, int, bool]] = []
        self.prefix_assignments: list[tuple[str, Word]] = []  # NAME=value words of the current command

    # ------------------------------------------------------------------ results

    def edit(self, span: Optional[tuple[int, int]], new: str, rule: str) -> None:
        if span is not None:
            self.edits.append(Edit(span[0], span[1], new, rule))

    def note(self, offset: int, finding: str, name: str, **extra: str) -> None:
        self.notes.append(Note(offset, finding, name, tuple(sorted(extra.items()))))

    def shown(self, word: Word) -> str:
        return self.text[word.start:word.end]

    # ------------------------------------------------------------------ variables

    def env_name(self, start: int, end: int, name: str) -> None:
        verdict = env_verdict(self.rules, name)
        if verdict is None:
            return
        if verdict.new:
            self.edit((start, end), verdict.new, "env-var")
        if verdict.finding:
            self.note(start, verdict.finding, name, new=verdict.new or "", suggestion=verdict.suggestion)

    def env_word(self, word: Word, at: int = 0) -> None:
        """A variable name starting at value[at] (NAME, NAME=value, NAME+=value, NAME[i]=value)."""
        m = _VARIABLE.match(word.value, at)
        if m:
            span = word.span(m.start(), m.end())
            if span is not None:
                self.env_name(span[0], span[1], m.group())

    def assignment(self, word: Word) -> bool:
        m = _ASSIGNMENT.match(word.value)
        if not m:
            return False
        span = word.span(0, m.end(1))
        if span is not None:
            self.env_name(span[0], span[1], m.group(1))
        self.assigned.append((m.group(1), word, m.end(), word.value[m.end() - 2] == "+"))
        if m.group(1) in self.rules.frameworks.device_variables:
            self.value(word, m.end())  # DS_ACCELERATOR=cuda: the framework's accelerator name
        return True

    def run_variable(self, word: Word) -> bool:
        """Note a word that is only `$NAME` where a command is expected: NAME holds a command line."""
        m = _EXPANSION.match(self.shown(word)) if word.value == DYNAMIC else None
        if m:
            self.run_variables.add(m.group(2) or m.group(3))
        return m is not None

    def command_strings(self) -> None:
        """Convert the values assigned to variables that the script runs as commands: on MLU a
        CUDA_VISIBLE_DEVICES left in `run_cmd="CUDA_VISIBLE_DEVICES=0,1 deepspeed t.py"` is
        ignored and every device becomes visible."""
        for name, word, at, append in self.assigned:
            if name not in self.run_variables:
                continue
            value = Word(word.start, word.end, word.value[at:], word.offsets[at:])
            self.nested(value, _analyze_arguments if append else analyze_script)

    # ------------------------------------------------------------------ commands

    def command(self, words: list[Word]) -> None:
        """A simple command: assignments, prefixes (sudo, env, nohup, ...), then the program."""
        i, n = 0, len(words)
        self.prefix_assignments = []
        while i < n:
            word = words[i]
            if self.assignment(word):
                self.prefix_assignments.append((_ASSIGNMENT.match(word.value).group(1), word))
                i += 1
                continue
            prefix = self.launch.prefix(word.value)
            if prefix is None:
                break
            i += 1
            while i < n:
                opt = words[i].value
                if opt == "--":
                    i += 1
                    break
                if not opt.startswith("-") or len(opt) < 2 or DYNAMIC in opt:
                    break
                if word.value == "command" and opt in ("-v", "-V"):
                    self.lookups(words[i + 1:])
                    return
                head, eq, _ = opt.partition("=")
                if head in prefix.name_options:
                    if eq:
                        self.env_word(words[i], len(head) + 1)
                    elif i + 1 < n:
                        self.env_word(words[i + 1])
                        i += 1
                elif opt in prefix.name_value_options:
                    if i + 1 < n:
                        self.env_word(words[i + 1])
                    i += 2
                elif opt in prefix.pair_options:
                    i += 2
                elif not eq and opt in prefix.value_options:
                    i += 1
                i += 1
            i += prefix.positionals
            if prefix.script_argument and i == n - 1 and any(ch in words[i].value for ch in " \t|;&"):
                self.nested(words[i])
                return
        if i < n:
            self.program(words[i], words[i + 1:])

    def program(self, word: Word, args: list[Word]) -> None:
        launch = self.launch
        value = word.value
        base = value.rsplit("/", 1)[-1]
        new = launch.renamed_program(value)
        if new is not None:
            self.edit(word.span(0, len(value)), new, "launch-command")
            if args:
                shown = " ".join(self.shown(a) for a in args)
                shown = shown if len(shown) <= 60 else shown[:57] + "..."
                self.note(word.start, NVIDIA_SMI_OPTIONS, f"{value} {shown}", new=new)
        elif "/" in value and launch.renamed_program(base):
            self.note(word.start, NVIDIA_SMI_PATH, self.shown(word), new=launch.renamed_program(base))
        if base in launch.prose:
            return
        if self.run_variable(word) or DYNAMIC in base:
            self.flags(args)
            return
        if base in launch.evaluators:
            self.evaluate(args)
            return
        if base in launch.compilers:
            self.note(word.start, CUDA_COMPILER, base)
        if base in launch.gpu_docker:
            self.note(word.start, DOCKER_NVIDIA_GPUS, base)
            self.docker(args)
        elif base in launch.docker_programs:
            self.docker(args)
        elif base in launch.lookups:
            self.lookups(args)
        elif base in launch.env_builtins:
            self.env_builtin(args)
        elif base in launch.shells:
            self.shell(args)
        elif base in launch.launcher_programs:
            self.launcher(args)
        elif (framework := self.rules.frameworks.launcher(base, [a.value for a in args])) is not None:
            self.framework_launcher(framework, args)
        elif _PYTHON.fullmatch(base):
            self.python(args)
        elif launch.install_verb(base):
            self.install(args, launch.install_verb(base))
        elif base in launch.pip_programs:
            self.pip(args)
        self.flags(args)

    def flags(self, args: Sequence[Word]) -> None:
        """Device and backend values after the launch flags of launch.toml, and key=value overrides."""
        flags = self.launch.flags
        for k, arg in enumerate(args):
            v = arg.value
            if v in flags:
                if k + 1 < len(args):
                    self.value(args[k + 1], 0)
                continue
            if v.startswith("-"):
                head, eq, _ = v.partition("=")
                if eq and head in flags:
                    self.value(arg, len(head) + 1)
                elif "." in head:  # LightningCLI: --trainer.accelerator gpu (a dotted key names its framework)
                    self.framework_flag(args, k, self.rules.frameworks.names)
                continue
            m = _OVERRIDE.match(v)
            if m and m.group(1) in self.launch.override_keys:
                self.value(arg, m.end())
            elif m and "." in v[:m.end()]:  # Hydra: trainer.accelerator=gpu
                self.framework_setting(v[:m.end() - 1].lstrip("+"), arg, m.end(), self.rules.frameworks.names)

    def framework_launcher(self, framework, args: Sequence[Word]) -> None:
        """`accelerate launch --mixed_precision fp8`, `deepspeed t.py` with CUDA_VISIBLE_DEVICES set."""
        if framework.launcher_visible_devices:
            for name, word in self.prefix_assignments:
                if name in framework.visible_devices_variables:
                    self.note(word.start, framework.launcher_visible_devices, f"{name}={word.value[len(name) + 1:]}")
        present = frozenset({framework.name})
        for k, arg in enumerate(args):
            if arg.value.startswith("-"):
                self.framework_flag(args, k, present)

    def framework_flag(self, args: Sequence[Word], k: int, present: frozenset) -> None:
        """`--key value` or `--key=value` of a framework setting: reported, left as written."""
        head, eq, _ = args[k].value.partition("=")
        if eq:
            self.framework_setting(head, args[k], len(head) + 1, present)
        elif k + 1 < len(args):
            self.framework_setting(head, args[k + 1], 0, present)

    def framework_setting(self, key: str, word: Word, at: int, present: frozenset) -> None:
        setting = self.rules.frameworks.setting(key, present)
        value = word.value[at:]
        finding = setting.finding_for(value) if setting is not None and DYNAMIC not in value else None
        if finding is not None:
            self.note(word.start, finding, value)

    def value(self, word: Word, at: int) -> None:
        value = word.value[at:]
        if not value or DYNAMIC in value:
            return
        verdict = device_or_backend(self.rules, value)
        if verdict is not None:
            self.edit(word.span(at, len(word.value)), verdict[0], verdict[1])

    def lookups(self, args: Sequence[Word]) -> None:
        """`which nvidia-smi`, `command -v nvidia-smi`: the looked-up program is renamed too."""
        for arg in args:
            v = arg.value
            if v.startswith("-"):
                continue
            new = self.launch.renamed_program(v)
            if new is not None:
                self.edit(arg.span(0, len(v)), new, "launch-command")
            elif v in self.launch.compilers:
                self.note(arg.start, CUDA_COMPILER, v)

    def env_builtin(self, args: Sequence[Word]) -> None:
        """export/declare/local/readonly/unset/printenv: their arguments name variables."""
        for arg in args:
            v = arg.value
            if v in self.launch.function_options:
                return
            if v.startswith(("-", "+")):
                continue
            if not self.assignment(arg):
                self.env_word(arg)

    def evaluate(self, args: Sequence[Word]) -> None:
        """`eval "$cmd"`, `eval $cmd --extra`, `eval "CUDA_VISIBLE_DEVICES=0 python t.py"`."""
        if any(self.run_variable(arg) for arg in args):
            return
        if len(args) == 1 and any(ch in args[0].value for ch in " \t|;&"):
            self.nested(args[0])
        elif args:
            self.command(list(args))

    def shell(self, args: Sequence[Word]) -> None:
        """`bash -c SCRIPT`: the script is converted like the text around it."""
        has_c = False
        k = 0
        while k < len(args):
            v = args[k].value
            if v == "--":
                k += 1
                break
            if v.startswith("--"):
                k += 1
                continue
            if v[:1] in "-+" and len(v) > 1:
                has_c = has_c or "c" in v[1:]
                k += 2 if v[-1] in "oO" else 1  # -o pipefail, -O extglob
                continue
            break
        if has_c and k < len(args) and not self.run_variable(args[k]):
            self.nested(args[k])

    def nested(self, word: Word, analyze: Callable = analyze_script) -> None:
        """A word whose value is itself a script."""
        if self.depth >= _MAX_DEPTH or not word.value.strip():
            return
        inner = analyze(word.value, self.rules, self.depth + 1)

        def offset(i: int) -> int:
            i = min(max(i, 0), len(word.offsets) - 1)
            return word.offsets[i] if word.offsets[i] >= 0 else word.start

        outer = inner.mapped(word.span, offset)
        self.edits.extend(outer.edits)
        self.notes.extend(outer.notes)

    def python(self, args: Sequence[Word]) -> None:
        """`python -m torch.distributed.run ...`, `python -m torch.utils.collect_env`."""
        k = 0
        while k < len(args):
            v = args[k].value
            if v == "-m" and k + 1 < len(args):
                module, rest = args[k + 1].value, args[k + 2:]
                break
            if v.startswith("-m") and len(v) > 2:
                module, rest = v[2:], args[k + 1:]
                break
            if v in ("-W", "-X"):
                k += 2
            elif v.startswith("-") and v != "-c":
                k += 1
            else:
                return  # a script, `-c code` or stdin
        else:
            return
        if module in self.launch.pip_modules:
            self.pip(rest)
        elif module in self.launch.launcher_modules:
            self.launcher(rest)
        elif module in self.launch.cuda_report_modules:
            self.note(args[k].start, CUDA_ENV_REPORT, f"python -m {module}")

    def launcher(self, args: Sequence[Word]) -> None:
        """torchrun: a process count taken from the CUDA device count."""
        launch = self.launch
        for k, arg in enumerate(args):
            v = arg.value
            head, eq, rest = v.partition("=")
            if head not in launch.nproc_flags:
                continue
            if not eq and k + 1 < len(args):
                rest = args[k + 1].value
            if rest in launch.nproc_values:
                self.note(arg.start, NPROC_FROM_CUDA, f"{head} {rest}")

    def docker(self, args: Sequence[Word]) -> None:
        """docker/podman run|create|exec: GPU options, variables passed in, the image and the
        command run in the container."""
        launch = self.launch
        n = len(args)
        k = 0
        while k < n and args[k].value.startswith("-"):
            k += 2 if args[k].value in launch.docker_global_value_options else 1
        if k >= n:
            return
        sub = args[k].value
        k += 1
        if sub == "container" and k < n:
            sub = f"container {args[k].value}"
            k += 1
        if sub not in launch.docker_run and sub not in launch.docker_exec:
            return
        while k < n:
            arg = args[k]
            v = arg.value
            if v == "--":
                k += 1
                break
            if not v.startswith("-") or v == "-":
                break
            opt, eq, _ = v.partition("=")
            holder, at, step = None, 0, 1
            if eq and opt.startswith("--"):
                holder, at = arg, len(opt) + 1
            elif v in launch.docker_value_options:
                if k + 1 < n:
                    holder, step = args[k + 1], 2
                opt = v
            elif not v.startswith("--") and v[:2] in launch.docker_env_options:
                holder, at, opt = arg, 2, v[:2]  # -eNAME=value
            value = holder.value[at:] if holder is not None else ""
            if opt in launch.docker_gpu_options:
                self.note(arg.start, DOCKER_NVIDIA_GPUS, f"{opt} {value}".strip())
            elif opt == "--runtime" and value in launch.docker_runtime_values:
                self.note(arg.start, DOCKER_NVIDIA_GPUS, f"--runtime={value}")
            elif opt == "--device" and value.startswith(launch.docker_device_prefixes):
                self.note(arg.start, DOCKER_NVIDIA_GPUS, f"--device {value}")
            elif opt in launch.docker_env_options and holder is not None:
                self.env_word(holder, at)
            k += step
        if k >= n:
            return
        target = args[k]  # the image (run) or the container (exec)
        if sub in launch.docker_run and target.static and cuda_image(self.rules, target.value):
            self.note(target.start, CUDA_IMAGE, target.value)
        if k + 1 < n:
            self.command(list(args[k + 1:]))

    def pip(self, args: Sequence[Word]) -> None:
        """`pip install ...`: CUDA-only packages, `+cu` builds and CUDA indexes, as in requirements.txt."""
        from gpu2mlu.deps import index_finding, requirement_findings
        launch = self.launch
        words = list(args)
        # the subcommand is the first word that is not a global option (`pip -q install x`)
        k = next((i for i, w in enumerate(words) if not w.value.startswith("-")), len(words))
        if k == len(words) or words[k].value != "install":
            return
        k += 1
        while k < len(words):
            word, value = words[k], words[k].value
            if DYNAMIC in value:
                k += 1
                continue
            option, eq, attached = value.partition("=")
            if option in launch.pip_index_options:
                url = attached if eq else (words[k + 1].value if k + 1 < len(words) else "")
                found = index_finding(url, self.rules, 0) if url and DYNAMIC not in url else None
                if found:
                    self.notes.append(Note(word.start, found.id, found.message, finding=found))
                k += 1 if eq else 2
                continue
            if value.startswith("-"):
                k += 2 if (option in launch.pip_value_options and not eq) else 1
                continue
            for found in requirement_findings(value, self.rules, 0):
                self.notes.append(Note(word.start, found.id, found.message, finding=found))
            k += 1

    def install(self, args: Sequence[Word], verb: str) -> None:
        """apt-get/yum install of CUDA system packages: one finding per command."""
        launch = self.launch
        found = False
        packages: list[Word] = []
        k = 0
        while k < len(args):
            v = args[k].value
            if v.startswith("-"):
                k += 2 if v in launch.installer_value_options else 1
                continue
            if not found:
                if v != verb:
                    return
                found = True
            elif DYNAMIC not in v:
                name = re.split(r"[=:<>]", v, 1)[0].lower()
                if any(fnmatch.fnmatchcase(name, p) for p in launch.cuda_system_packages):
                    packages.append(args[k])
            k += 1
        if packages:
            self.note(packages[0].start, CUDA_SYSTEM_PACKAGE, " ".join(p.value for p in packages))
