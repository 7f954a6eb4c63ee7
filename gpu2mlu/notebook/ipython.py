"""IPython syntax in a code cell: find the lines that are not Python and mask them.

A masked line becomes `pass` at its own indentation (lines it continues onto become blank), so
the cell keeps its line numbers and still parses, and the Python converter never edits it. What
the masked lines hold is handed on as pieces: shell commands (`!cmd`, `x = !cmd`, `%sx`, `%pip`,
`%%bash` cells), `%env` assignments and `%%writefile` bodies, each for its own converter.
`%time stmt` and `%%time` cells keep their Python visible, since it runs in the notebook.
"""
from __future__ import annotations

import ast
import re
import shlex
from dataclasses import dataclass
from typing import Optional

from gpu2mlu.notebook.pylex import LineLexer
from gpu2mlu.source import LineIndex

SHELL = "shell"  # a shell command: `!cmd` and friends (one logical line) or a `%%bash` body
ENV = "env"  # `%env NAME=value`, `%set_env NAME value`
FILE = "file"  # the body of `%%writefile name` or `%%python`: a file of its own
WHOLE_LINE = -1  # MaskedCell.masked: the whole line is masked

PLACEHOLDER = "pass"

# Cell magics whose body is notebook Python (run in the notebook's namespace, IPython syntax too).
_PYTHON_BODY = frozenset({"time", "timeit", "capture", "prun", "debug"})
_SHELL_BODY = frozenset({"bash", "sh", "sx", "system"})
_SHELLS = frozenset({"bash", "sh", "zsh", "ksh", "dash"})
_PYTHON_PROCESS = frozenset({"python", "python2", "python3", "pypy", "pypy3"})
_WRITEFILE = frozenset({"writefile", "file"})
_SCRIPT_OPTIONS_WITH_VALUE = frozenset({"--proc", "--out", "--err"})
# `%pip install x` runs `pip install x`: the shell converter reads it as that command.
_COMMAND_MAGICS = frozenset({"pip", "conda", "mamba", "micromamba"})
_SHELL_MAGICS = frozenset({"sx", "system", "sc"})
_ENV_MAGICS = frozenset({"env", "set_env"})
_STATEMENT_MAGICS = frozenset({"time", "timeit"})

_CELL_MAGIC = re.compile(r"%%(?P<name>[\w.-]*)(?P<args>.*)")
_LINE_MAGIC = re.compile(r"%(?P<name>\w+)[ \t]*")
_ASSIGN = re.compile(r"[\w.]+(?:[ \t]*,[ \t]*[\w.]+)*[ \t]*=[ \t]*(?=[!%])")
_TIMEIT_OPTIONS = re.compile(r"(?:-(?:[nrp][ \t]*\d+(?:\.\d*)?|[tcqo]+)[ \t]+)*")
_ENV_ARGS = re.compile(r"(?P<name>[A-Za-z_]\w*)(?:(?P<sep>[ \t]*=[ \t]*|[ \t]+)(?P<value>\S(?:.*\S)?)?)?[ \t]*\Z")


@dataclass(frozen=True)
class Piece:
    """A non-Python part of a cell, for another converter. Offsets are in the cell's source."""
    kind: str
    start: int
    end: int
    line: int  # 1-based cell line where the piece starts
    one_line: bool = True  # SHELL: a `!` line, where an edit must not add lines
    name: str = ""  # FILE: the file the cell writes
    value_start: int = -1  # ENV: the value's span, if any
    value_end: int = -1


@dataclass
class MaskedCell:
    python: Optional[str]  # the cell with IPython syntax masked, same lines; None: no notebook Python
    pieces: list[Piece]
    masked: dict[int, int]  # 1-based line → columns masked from its start (WHOLE_LINE: all)


def mask_cell(source: str) -> MaskedCell:
    return _Masker(source).run()


class _Masker:
    def __init__(self, source: str) -> None:
        self.source = source
        self.index = LineIndex(source)
        self.lines = [self.index.line_text(n) for n in range(1, len(self.index.starts) + 1)]
        self.out = list(self.lines)
        self.pieces: list[Piece] = []
        self.masked: dict[int, int] = {}

    def offset(self, n: int, col: int = 0) -> int:
        return self.index.starts[n] + col

    def run(self) -> MaskedCell:
        first = next((n for n, line in enumerate(self.lines) if line.strip()), None)
        body = 0
        if first is not None and self.lines[first].startswith("%%"):
            m = _CELL_MAGIC.match(self.lines[first])
            kind, name = _cell_magic(m.group("name"), m.group("args"))
            start = self.offset(first + 1) if first + 1 < len(self.lines) else len(self.source)
            if kind is None:
                self._mask(first, first)
                body = first + 1
            else:
                if kind and start < len(self.source):
                    self.pieces.append(Piece(kind, start, len(self.source), first + 2, one_line=False, name=name))
                return MaskedCell(None, self.pieces, {})
        self._lines(body)
        newlines = [self.source[self.index.line_span(n)[1]:self.index.starts[n]] for n in range(1, len(self.lines))]
        text = "".join(line + nl for line, nl in zip(self.out, newlines + [""]))
        return MaskedCell(text, self.pieces, self.masked)

    def _lines(self, n: int) -> None:
        lexer = LineLexer()
        while n < len(self.lines):
            if lexer.at_statement_start:
                used = self._escape(n, lexer)
                if used:
                    n += used
                    continue
            lexer.feed(self.lines[n])
            n += 1

    def _extent(self, n: int, col: int) -> int:
        """The last line of the logical line that starts at line n, column col."""
        lexer = LineLexer()
        lexer.feed(self.lines[n][col:])
        while not lexer.at_statement_start and n + 1 < len(self.lines):
            n += 1
            lexer.feed(self.lines[n])
        return n

    def _mask(self, first: int, last: int) -> None:
        line = self.lines[first]
        self.out[first] = line[:len(line) - len(line.lstrip(" \t"))] + PLACEHOLDER
        self.masked[first + 1] = WHOLE_LINE
        for n in range(first + 1, last + 1):
            self.out[n] = ""
            self.masked[n + 1] = WHOLE_LINE

    def _escape(self, n: int, lexer: LineLexer) -> int:
        """Mask the IPython escape starting at line n, if any; the number of lines it takes."""
        line = self.lines[n]
        col = len(line) - len(line.lstrip(" \t"))
        rest = line[col:]
        assigned = _ASSIGN.match(rest)
        if assigned:  # `x = !cmd`, `x = %sx cmd`: the command is the same, its output is kept
            col += assigned.end()
            rest = line[col:]
        if rest[:1] in ("!", "%") or (not assigned and rest[:1] in ("?", "/", ",", ";")):
            last = self._extent(n, col)
            self._mask(n, last)
            if rest.startswith("!"):
                self._shell(n, last, col + (2 if rest.startswith("!!") else 1))
            elif rest.startswith("%") and not rest.startswith("%%"):
                self._magic(n, last, col, bool(assigned))
            return last - n + 1
        if rest and not assigned:
            probe = lexer.copy()
            code_end = probe.feed(line)
            if probe.at_statement_start and line[:code_end].rstrip().endswith("?"):  # `obj?` help
                self._mask(n, n)
                return 1
        return 0

    def _shell(self, n: int, last: int, col: int) -> None:
        line = self.lines[n]
        while col < len(line) and line[col] in " \t":
            col += 1
        end = self.index.line_span(last + 1)[1]
        if self.offset(n, col) < end:
            self.pieces.append(Piece(SHELL, self.offset(n, col), end, n + 1))

    def _magic(self, n: int, last: int, col: int, assigned: bool) -> None:
        line = self.lines[n]
        m = _LINE_MAGIC.match(line, col)
        if m is None:
            return
        name = m.group("name")
        if name in _COMMAND_MAGICS:
            self._shell(n, last, m.start("name"))
        elif name in _SHELL_MAGICS:
            self._shell(n, last, m.end())
        elif name in _ENV_MAGICS and n == last:
            args = _ENV_ARGS.match(line, m.end())
            if args and m.end() > m.end("name"):  # `%env` alone lists the variables
                self.pieces.append(Piece(ENV, self.offset(n, args.start("name")), self.offset(n, args.end("name")), n + 1,
                                         value_start=self.offset(n, args.start("value")) if args.group("value") else -1,
                                         value_end=self.offset(n, args.end("value")) if args.group("value") else -1))
        elif name in _STATEMENT_MAGICS and not assigned:
            self._statement(n, last, col, m)

    def _statement(self, n: int, last: int, col: int, m: re.Match) -> None:
        """`%time stmt`: show the statement to the Python converter, behind a same-width `0;`."""
        line = self.lines[n]
        start = m.end()
        if m.group("name") == "timeit":
            start = _TIMEIT_OPTIONS.match(line, start).end()
        if start - col < 3 or start >= len(line):
            return
        tail = "0;" + " " * (start - col - 2) + line[start:]
        program = "\n".join([tail] + self.lines[n + 1:last + 1])
        try:
            ast.parse(program)
        except (SyntaxError, ValueError):
            return  # a compound statement or not Python: stays masked
        self.out[n] = line[:col] + tail
        self.masked[n + 1] = start
        for k in range(n + 1, last + 1):
            self.out[k] = self.lines[k]
            del self.masked[k + 1]


def _cell_magic(name: str, args: str) -> tuple[Optional[str], str]:
    """(piece kind of the body, file name) for a `%%name args` cell; (None, '') for a Python body,
    ('', '') for a body nobody converts."""
    if name in _PYTHON_BODY:
        return None, ""
    if name in _SHELL_BODY:
        return SHELL, ""
    if name in _PYTHON_PROCESS:
        return FILE, "cell.py"
    words = _split(args)
    if name == "script":
        program = _script_program(words)
        base = program.rsplit("/", 1)[-1]
        if base in _SHELLS:
            return SHELL, ""
        if re.fullmatch(r"(?:python|pypy)[\d.]*", base):
            return FILE, "cell.py"
    if name in _WRITEFILE:
        files = [w for w in words if not w.startswith("-")]
        if len(files) == 1:
            return FILE, files[0]
    return "", ""


def _split(args: str) -> list[str]:
    try:
        return shlex.split(args)
    except ValueError:
        return args.split()


def _script_program(words: list[str]) -> str:
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word in _SCRIPT_OPTIONS_WITH_VALUE:
            skip = True
        elif not word.startswith("-"):
            return word
    return ""
