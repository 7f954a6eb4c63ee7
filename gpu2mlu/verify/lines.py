"""The line rule of `gpu2mlu verify --compare`: one line of program output -> (skeleton, numbers).

Two runs agree on a line when their skeletons are equal and their kept numbers are equal *as
written*: numbers are compared as strings, so equal printing means bitwise equal at the printed
precision, and `1.0` vs `1.00` is a difference.  Per stream (stdout, stderr):

1. A line is the text after its last carriage return (what a terminal shows at the end, so a
   progress bar that redraws itself a time-dependent number of times is one line), right-stripped.
   Blank lines are dropped.
2. Lines that are not the program's own output are dropped: Python warnings
   (`file:line: SomeWarning: message` and the indented source lines after it) and gpu2mlu's own
   messages (lines starting `gpu2mlu:`, `gpu2mlu verify:`, `gpu2mlu run:`).
3. Text that legitimately differs between the two folders is replaced before anything else: the
   run's own directory (either spelling: as given and with symlinks resolved) -> `<dir>`, a path
   in the temp folder (`/tmp/tmpab12cd`) -> `<tmp>`, `host:port` (`localhost:29500`,
   `127.0.0.1:29500`) -> `<address>`, `0x7f...` (object addresses) -> `<addr>`, and the device
   words `cuda`, `cuda:N`, `mlu`, `mlu:N` -> `<device>`, `nccl`/`cncl` -> `<ccl>` (lower case only:
   that is how torch prints devices and backends; log text like "Using CUDA" is never converted).
4. Ignored (replaced by `~` in the skeleton, never compared): dates (`2024-01-31`), clock times
   (`12:34:56`, `00:01<00:02`), numbers followed by a time or throughput unit (`0.5s`, `12 ms`,
   `us`, `sec`, `seconds`, `min`, `h`, `it/s`, `s/it`, `samples/s`, `img/s`, `ms/step`, any
   `WORD/s` or `s/WORD`, `fps`), and every number after a timing key up to the next word: keys
   ending in `time` (`time`, `Time`, `batch_time`, `data_time`), `elapsed`, `eta`, `speed`,
   `throughput`, `fps`, `duration`, `latency`, `took`, `timestamp`, AverageMeter's `Data` (capital
   D: `Time 0.123 ( 0.456)  Data 0.001 ( 0.002)`), and `pid`/`ppid`/`port`.
5. Every other number (integers, decimals, exponents, signed, `nan`, `inf`) is kept: losses,
   metrics, learning rates, step counters, memory figures (the emulator's allocator is
   deterministic, so `max_memory_allocated` agrees between the runs).

A line that is the same in both runs except for kept numbers is an *arithmetic* divergence; a
different skeleton, or a line only one run printed, is a *control-flow* divergence.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile

KEPT, IGNORED = "#", "~"

_WARNING = re.compile(r"^\S.*:\d+: [A-Z]\w*Warning: ")
_OWN = re.compile(r"^gpu2mlu(?: verify| run)?: ")
_ADDRESS = re.compile(r"\b(?:localhost|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):\d+\b")
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b")
_DEVICE = re.compile(r"\b(?:cuda|mlu)(?::\d+)?\b")
_CCL = re.compile(r"\b(?:nccl|cncl)\b")

_UNIT = (r"(?:(?:[mun]?s|µs|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|fps)"
         r"|[A-Za-z]+/s(?:ec)?|(?:[mun]?s|sec)/[A-Za-z]+)(?!\w)")
_NUMBER = r"(?<![\w.])[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_SPECIAL = r"(?<![\w.])[-+]?(?:nan|inf(?:inity)?)(?!\w)"
_TOKEN = re.compile(
    r"(?P<date>\b\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)?)"
    r"|(?P<clock>(?<![\w.:])\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?![\w:]))"
    rf"|(?P<timed>(?:{_NUMBER})\s?{_UNIT})"
    rf"|(?P<number>{_NUMBER}|{_SPECIAL})"
    r"|(?P<word>[A-Za-z_]\w*)",
    re.IGNORECASE,
)
_TIMING_KEY = re.compile(r"\w*time|(?:\w*_)?(?:elapsed|eta|speed|throughput|fps|duration|latency"
                         r"|took|timestamp|pid|ppid|port)", re.IGNORECASE)
_CASE_SENSITIVE_KEYS = ("Data",)  # AverageMeter's data-loading time; "data" alone is too common

_STEP = re.compile(
    r"\b(?:epoch|step|iter(?:ation)?|batch|global[_ ]step|update)s?\b\s*[:=#]?\s*"
    r"(?:(?:\[\s*\d+(?:\s*/\s*\d+)?\s*\]\s*)+|\d+(?:\s*/\s*\d+)?)",
    re.IGNORECASE,
)


@dataclasses.dataclass(frozen=True)
class Line:
    number: int  # 1-based line number in the stream as printed
    text: str  # as printed (after rule 1)
    skeleton: str
    numbers: tuple[str, ...]


def split(output: str, run_dir: str | None = None) -> list[Line]:
    """The comparable lines of one stream of one run (rules 1-3 applied, then `parse`)."""
    paths = _dir_spellings(run_dir)
    lines: list[Line] = []
    in_warning = False
    for number, raw in enumerate(output.split("\n"), 1):
        text = raw.rsplit("\r", 1)[-1].rstrip()
        if in_warning and text[:1].isspace():
            continue  # the source line (or continuation) of a Python warning
        in_warning = bool(_WARNING.match(text))
        if not text or in_warning or _OWN.match(text):
            continue
        skeleton, numbers = parse(text, paths)
        lines.append(Line(number, text, skeleton, numbers))
    return lines


def parse(text: str, dir_spellings: tuple[str, ...] = ()) -> tuple[str, tuple[str, ...]]:
    """(skeleton, kept numbers) of one line: the rule in the module docstring."""
    for path in dir_spellings:
        text = _replace_path(text, path, "<dir>")
    text = _replace_path(text, tempfile.gettempdir().rstrip(os.sep) + os.sep + "tmp", "<tmp>",
                         stem=True)
    text = _ADDRESS.sub("<address>", text)
    text = _HEX.sub("<addr>", text)
    text = _DEVICE.sub("<device>", text)
    text = _CCL.sub("<ccl>", text)
    parts: list[str] = []
    numbers: list[str] = []
    timing_key = False
    pos = 0
    for m in _TOKEN.finditer(text):
        parts.append(text[pos:m.start()])
        pos = m.end()
        kind = m.lastgroup
        if kind == "word":
            word = m.group()
            timing_key = (word in _CASE_SENSITIVE_KEYS
                          or _TIMING_KEY.fullmatch(word) is not None)
            parts.append(word)
        elif kind == "number" and not timing_key:
            parts.append(KEPT)
            numbers.append(m.group())
        else:  # date, clock, a number with a time unit, or a number after a timing key
            parts.append(IGNORED)
    parts.append(text[pos:])
    return "".join(parts), tuple(numbers)


def step_label(lines: list[Line], index: int) -> str | None:
    """The step mentioned on lines[index], else on the nearest line before it ("after ...")."""
    for i in range(min(index, len(lines) - 1), -1, -1):
        found = [" ".join(m.group().split()) for m in _STEP.finditer(lines[i].text)]
        if found:
            label = " ".join(found)
            return label if i == index else f"after {label}"
    return None


def _dir_spellings(run_dir: str | None) -> tuple[str, ...]:
    if not run_dir:
        return ()
    spellings = {os.path.abspath(run_dir), os.path.realpath(run_dir)}
    return tuple(sorted((p.rstrip(os.sep) for p in spellings if p != os.sep), key=len,
                        reverse=True))


def _replace_path(text: str, path: str, token: str, stem: bool = False) -> str:
    """Replace `path` where it is a whole path component (not `/work/p` inside `/work/p_mlu`).

    stem=True: `path` is the start of a component (the temp folder's `tmp` + random letters).
    """
    tail = r"[^\s/'\"]*" if stem else ""
    return re.sub(re.escape(path) + tail + r"(?=$|[\s/'\",:;)\]}>]|\.(?:\s|$))", token, text)
