"""A small POSIX/bash lexer: enough structure to find command words, their arguments and the
variable expansions, with exact offsets.

It understands comments, the three kinds of quotes, `$'...'`, `${...}`, `$(...)`, backticks,
arithmetic, backslash-newline continuations, heredocs (bodies are skipped, not scanned), process
substitution, array assignments, `[[ ... ]]`, `case` patterns and the control operators. It never
fails: text it cannot make sense of just yields fewer commands.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

# Stands for an expansion inside a word's value: the value is not known before run time.
DYNAMIC = "\0"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL_PARAMS = "@*#?-$!0123456789"
_META = " \t\n;&|()<>"
# Longest first: the lexer takes the first operator the text starts with.
_OPERATORS = (
    ";;&", "&>>", "<<<", "<<-",
    ";;", ";&", "&&", "||", "|&", "&>", "<<", "<&", "<>", ">>", ">&", ">|",
    ";", "&", "|", "(", ")", "<", ">",
)
_REDIRECTIONS = frozenset({"<", ">", ">>", "<&", ">&", "<>", ">|", "&>", "&>>", "<<<"})
_HEREDOCS = frozenset({"<<", "<<-"})
_CASE_ENDS = frozenset({";;", ";&", ";;&"})
# Reserved words that may precede a command in the same simple-command position.
# Characters with no meaning inside a word (a fast path; extglob openers only before "(").
_PLAIN_RUN = re.compile(r"(?:[^ \t\n\r;&|()<>\\'\"$`@!+*?}]|[@!+*?](?!\())+")
_ARRAY_START = re.compile(r"[A-Za-z_]\w*(\[[^\]]*\])?\+?=")
_KEYWORDS = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "{", "}", "!"})


@dataclass(frozen=True)
class Word:
    """One shell word: its source span, its value after quote removal (DYNAMIC for each expansion)
    and the source offset of every value character (-1 where a character has none)."""
    start: int
    end: int
    value: str
    offsets: tuple[int, ...]

    @property
    def static(self) -> bool:
        return DYNAMIC not in self.value

    def span(self, a: int, b: int) -> Optional[tuple[int, int]]:
        return contiguous_span(self.offsets, a, b)


def contiguous_span(offsets: tuple[int, ...], a: int, b: int) -> Optional[tuple[int, int]]:
    """Source span of characters a..b-1 of a derived text whose characters come from `offsets`,
    when they are written contiguously in the source (so an edit there replaces exactly them)."""
    if not 0 <= a < b <= len(offsets):
        return None
    first, last = offsets[a], offsets[b - 1]
    if first < 0 or last - first != b - 1 - a:
        return None
    if any(offsets[i] != first + i - a for i in range(a, b)):
        return None
    return first, last + 1


@dataclass(frozen=True)
class Use:
    """`$NAME` or `${NAME...}`: a parameter expansion of a named variable (also the NAME a
    `for NAME in` loop sets, which must be renamed with its uses)."""
    name: str
    start: int  # the name's span
    end: int


@dataclass(frozen=True)
class HereDoc:
    delimiter: str
    strip_tabs: bool  # <<-
    body_start: int = -1  # -1 while the body has not been read (it starts at the next newline)
    body_end: int = -1


@dataclass
class Script:
    commands: list[list[Word]] = field(default_factory=list)  # simple commands, redirections removed
    uses: list[Use] = field(default_factory=list)
    heredocs: list[HereDoc] = field(default_factory=list)  # bodies read
    pending: list[HereDoc] = field(default_factory=list)  # announced, body not in the text


def lex(text: str) -> Script:
    lexer = _Lexer(text)
    lexer.run()
    return lexer.script


class _WordBuilder:
    __slots__ = ("chars", "offsets")

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.offsets: list[int] = []

    def add(self, ch: str, offset: int) -> None:
        self.chars.append(ch)
        self.offsets.append(offset)

    def add_run(self, text: str, start: int, end: int) -> None:
        self.chars.append(text[start:end])
        self.offsets.extend(range(start, end))

    def dynamic(self) -> None:
        self.add(DYNAMIC, -1)

    def text(self) -> str:
        return "".join(self.chars)

    def word(self, start: int, end: int) -> Word:
        return Word(start, end, "".join(self.chars), tuple(self.offsets))


class _Command:
    """State of the simple command being read in one command list."""
    __slots__ = ("words", "target", "delimiter", "skip", "skip_one", "loop_name", "test")

    def __init__(self) -> None:
        self.words: list[Word] = []
        self.target = False  # next word is a redirection target
        self.delimiter: Optional[str] = None  # next word is a heredoc delimiter (the operator)
        self.skip = False  # `for x in ...`: words up to the separator are not a command
        self.skip_one = False  # `function name`
        self.loop_name = False  # next word is the variable of `for NAME in ...`
        self.test = False  # inside [[ ... ]]


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.limit = len(text)
        self.script = Script()

    def run(self) -> None:
        self._list(0, None)

    # ------------------------------------------------------------------ command lists

    def _newline_at(self, pos: int) -> int:
        """Length of the newline at pos (\\n or \\r\\n), 0 if there is none."""
        t = self.text
        if pos < self.limit and t[pos] == "\n":
            return 1
        if t.startswith("\r\n", pos) and pos + 1 < self.limit:
            return 2
        return 0

    def _list(self, pos: int, stop: Optional[str]) -> int:
        """Read commands from pos; with stop=")" return after the closing parenthesis."""
        t = self.text
        cmd = _Command()
        cases: list[str] = []  # per open `case`: "head", "pattern" or "body"
        depth = 0  # open subshell parentheses
        while pos < self.limit:
            c = t[pos]
            if c in " \t":
                pos += 1
                continue
            if c == "\\":
                n = self._newline_at(pos + 1)
                if n:
                    pos += 1 + n
                    continue
            n = self._newline_at(pos)
            if n:
                self._finish(cmd)
                cmd = _Command()
                pos = self._heredoc_bodies(pos + n)
                continue
            if c == "#":
                while pos < self.limit and t[pos] != "\n" and not t.startswith("\r\n", pos):
                    pos += 1
                continue
            if c in "<>" and t.startswith("(", pos + 1):  # process substitution: a dynamic word
                start = pos
                pos = self._list(pos + 2, ")")
                if not (cmd.target or cmd.skip or cmd.test):
                    cmd.words.append(Word(start, pos, DYNAMIC, (-1,)))
                cmd.target = False
                continue
            op = next((o for o in _OPERATORS if t.startswith(o, pos)), None) if c in _META else None
            if op is not None:
                if cmd.test and op not in (";", "&", "|", "|&", ";;", ";&", ";;&"):
                    pos += len(op)  # && || ( ) < > inside [[ ]] are part of the test
                    continue
                if cases and cases[-1] in ("head", "pattern") and op in ("|", "("):
                    pos += 1
                    continue
                if op == "(" and not cmd.words and t.startswith("((", pos):
                    pos = self._arithmetic(pos + 2)
                    cmd.skip = True  # (( ... )) and for (( ... )) are not commands
                    continue
                if op in _REDIRECTIONS:
                    cmd.target = True
                    pos += len(op)
                    continue
                if op in _HEREDOCS:
                    cmd.delimiter = op
                    pos += len(op)
                    continue
                if op == "(":
                    if cmd.words and re.match(r"[ \t]*\)", t[pos + 1:pos + 40]):
                        cmd.words = []  # `name() {`: a function definition, not a command
                    self._finish(cmd)
                    cmd = _Command()
                    depth += 1
                    pos += 1
                    continue
                if op == ")":
                    pos += 1
                    if cases and cases[-1] == "pattern":
                        cases[-1] = "body"
                        cmd = _Command()
                        continue
                    self._finish(cmd)
                    cmd = _Command()
                    if depth:
                        depth -= 1
                        continue
                    if stop == ")":
                        return pos
                    continue
                self._finish(cmd)
                cmd = _Command()
                if op in _CASE_ENDS and cases:
                    cases[-1] = "pattern"
                pos += len(op)
                continue
            word, pos = self._word(pos, stop_brace=False)
            # `2>file`, `{fd}>file`: the word is a file descriptor, not an argument
            if pos < self.limit and t[pos] in "<>" and re.fullmatch(r"\d+|\{[A-Za-z_]\w*\}", word.value):
                continue
            self._place(word, cmd, cases)
        self._finish(cmd)
        return pos

    def _place(self, word: Word, cmd: _Command, cases: list[str]) -> None:
        value = word.value
        if cmd.delimiter is not None:  # quoted or not, the body is never scanned
            self.script.pending.append(HereDoc(value.replace(DYNAMIC, ""), cmd.delimiter == "<<-"))
            cmd.delimiter = None
            return
        if cmd.target:
            cmd.target = False
            return
        if cases and cases[-1] == "head":
            if value == "in":
                cases[-1] = "pattern"
            return
        if cases and cases[-1] == "pattern":
            if value == "esac":
                cases.pop()
            return
        if cmd.test:
            if value == "]]":
                cmd.test = False
            return
        if cmd.loop_name:
            cmd.loop_name = False
            if _NAME.fullmatch(value) and self.text[word.start:word.end] == value:
                self.script.uses.append(Use(value, word.start, word.end))  # set here, used as $NAME
            return
        if cmd.skip:
            return
        if cmd.skip_one:
            cmd.skip_one = False
            return
        if not cmd.words:
            if value in _KEYWORDS:
                return
            if value == "case":
                cases.append("head")
                cmd.skip = True
                return
            if value == "esac":
                if cases:
                    cases.pop()
                return
            if value in ("for", "select"):
                cmd.skip = cmd.loop_name = True
                return
            if value == "function":
                cmd.skip_one = True
                return
            if value == "[[":
                cmd.test = True
                return
        cmd.words.append(word)

    def _finish(self, cmd: _Command) -> None:
        if cmd.words:
            self.script.commands.append(cmd.words)
            cmd.words = []

    def _heredoc_bodies(self, pos: int) -> int:
        """Skip the bodies of the heredocs announced on the line that just ended."""
        if not self.script.pending:
            return pos
        t = self.text
        for doc in self.script.pending:
            start = pos
            while pos < self.limit:
                nl = t.find("\n", pos, self.limit)
                line_end = nl if nl >= 0 else self.limit
                line = t[pos:line_end]
                if line.endswith("\r"):
                    line = line[:-1]
                if doc.strip_tabs:
                    line = line.lstrip("\t")
                if line == doc.delimiter:
                    self.script.heredocs.append(HereDoc(doc.delimiter, doc.strip_tabs, start, pos))
                    pos = line_end + 1 if nl >= 0 else self.limit
                    break
                pos = line_end + 1 if nl >= 0 else self.limit
            else:
                self.script.heredocs.append(HereDoc(doc.delimiter, doc.strip_tabs, start, self.limit))
        self.script.pending = []
        return min(pos, self.limit)

    # ------------------------------------------------------------------ words

    def _word(self, pos: int, stop_brace: bool, in_dq: bool = False) -> tuple[Word, int]:
        """Read one word (or, with stop_brace, the word part of `${name:-word}` up to `}`)."""
        t = self.text
        start = pos
        b = _WordBuilder()
        while pos < self.limit:
            m = _PLAIN_RUN.match(t, pos, self.limit)
            if m:
                b.add_run(t, pos, m.end())
                pos = m.end()
                continue
            c = t[pos]
            if stop_brace:
                if c == "}":
                    break
            elif c in _META or (c == "\r" and t.startswith("\r\n", pos)):
                if c == "(" and _ARRAY_START.fullmatch(b.text()):
                    pos = self._array(pos + 1)  # name=( ... )
                    b.dynamic()
                    continue
                break
            if c == "\\":
                n = self._newline_at(pos + 1)
                if n:
                    pos += 1 + n
                elif pos + 1 < self.limit:
                    b.add(t[pos + 1], pos + 1)
                    pos += 2
                else:
                    b.add(c, pos)
                    pos += 1
            elif c == "'" and not in_dq:
                close = t.find("'", pos + 1, self.limit)
                close = self.limit if close < 0 else close
                b.add_run(t, pos + 1, close)
                pos = close + 1
            elif c == '"':
                pos = self._double_quoted(pos + 1, b)
            elif c == "$":
                pos = self._dollar(pos, b, in_dq)
            elif c == "`":
                pos = self._backticks(pos)
                b.dynamic()
            elif c in "@!+*?" and t.startswith("(", pos + 1) and not stop_brace:
                pos = self._balanced(pos + 2)  # extglob @(a|b)
                b.dynamic()
            else:
                b.add(c, pos)
                pos += 1
        return b.word(start, min(pos, self.limit)), min(pos, self.limit)

    def _double_quoted(self, pos: int, b: _WordBuilder) -> int:
        """After an opening double quote: literal prose, live expansions. Returns past the close."""
        t = self.text
        while pos < self.limit:
            c = t[pos]
            if c == '"':
                return pos + 1
            if c == "\\" and pos + 1 < self.limit:
                n = self._newline_at(pos + 1)
                if n:
                    pos += 1 + n
                elif t[pos + 1] in '$`"\\':
                    b.add(t[pos + 1], pos + 1)
                    pos += 2
                else:
                    b.add(c, pos)
                    pos += 1
            elif c == "$":
                pos = self._dollar(pos, b, in_dq=True)
            elif c == "`":
                pos = self._backticks(pos)
                b.dynamic()
            else:
                b.add(c, pos)
                pos += 1
        return pos

    def _dollar(self, pos: int, b: _WordBuilder, in_dq: bool) -> int:
        t = self.text
        nxt = t[pos + 1] if pos + 1 < self.limit else ""
        if nxt == "'" and not in_dq:  # $'...': C escapes, \' does not close
            pos += 2
            while pos < self.limit and t[pos] != "'":
                pos += 2 if t[pos] == "\\" else 1
            b.dynamic()
            return min(pos + 1, self.limit)
        if nxt == '"' and not in_dq:  # $"...": a translated double-quoted string
            return self._double_quoted(pos + 2, b)
        if t.startswith("((", pos + 1):
            b.dynamic()
            return self._arithmetic(pos + 3)
        if nxt == "(":
            b.dynamic()
            return self._list(pos + 2, ")")
        if nxt == "[":  # $[ ... ]: old arithmetic
            b.dynamic()
            close = t.find("]", pos + 2, self.limit)
            self._expansions_in(pos + 2, close if close >= 0 else self.limit)
            return close + 1 if close >= 0 else self.limit
        if nxt == "{":
            b.dynamic()
            return self._braced(pos + 2, in_dq)
        m = _NAME.match(t, pos + 1, self.limit)
        if m:
            self.script.uses.append(Use(m.group(), m.start(), m.end()))
            b.dynamic()
            return m.end()
        if nxt and nxt in _SPECIAL_PARAMS:
            b.dynamic()
            return pos + 2
        b.add("$", pos)
        return pos + 1

    def _braced(self, pos: int, in_dq: bool) -> int:
        """After `${`: the parameter, then any operator word, up to the closing brace."""
        t = self.text
        indirect = False
        if pos < self.limit and t[pos] in "#!" and _NAME.match(t, pos + 1, self.limit):
            indirect = t[pos] == "!"  # ${!name}: name holds a variable name, it is not one
            pos += 1
        m = _NAME.match(t, pos, self.limit)
        if m:
            if not indirect:
                self.script.uses.append(Use(m.group(), m.start(), m.end()))
            pos = m.end()
        elif pos < self.limit and t[pos] in _SPECIAL_PARAMS:
            pos += 1
        _, pos = self._word(pos, stop_brace=True, in_dq=in_dq)
        return min(pos + 1, self.limit)

    def _backticks(self, pos: int) -> int:
        """At an opening backtick: scan the command inside; returns past the closing backtick."""
        t = self.text
        close = pos + 1
        while close < self.limit and t[close] != "`":
            close += 2 if t[close] == "\\" else 1
        close = min(close, self.limit)
        saved = self.limit
        self.limit = close
        self._list(pos + 1, None)
        self.limit = saved
        return min(close + 1, self.limit)

    def _arithmetic(self, pos: int) -> int:
        """After `((` or `$((`: returns past the matching `))`; only expansions inside matter."""
        t = self.text
        depth = 0
        i = pos
        while i < self.limit:
            c = t[i]
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    end = i + 2 if t.startswith("))", i) else i + 1
                    self._expansions_in(pos, i)
                    return min(end, self.limit)
                depth -= 1
            i += 1
        self._expansions_in(pos, self.limit)
        return self.limit

    def _expansions_in(self, start: int, end: int) -> None:
        """Record the $ expansions between start and end (arithmetic: names are not commands)."""
        saved = self.limit
        self.limit = end
        pos = start
        b = _WordBuilder()
        while pos < end:
            if self.text[pos] == "$":
                pos = self._dollar(pos, b, in_dq=True)
            elif self.text[pos] == "`":
                pos = self._backticks(pos)
            else:
                pos += 1
        self.limit = saved

    def _balanced(self, pos: int) -> int:
        """After an opening parenthesis of a pattern group: past the matching close."""
        depth = 0
        t = self.text
        while pos < self.limit:
            c = t[pos]
            if c == "\\":
                pos += 2
                continue
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    return pos + 1
                depth -= 1
            pos += 1
        return self.limit

    def _array(self, pos: int) -> int:
        """After `name=(`: the elements are words, not commands; returns past the `)`."""
        t = self.text
        while pos < self.limit:
            c = t[pos]
            if c in " \t\r\n":
                pos += 1
            elif c == ")":
                return pos + 1
            elif c == "#":
                while pos < self.limit and t[pos] != "\n":
                    pos += 1
            elif c in _META:
                pos += 1
            else:
                _, pos = self._word(pos, stop_brace=False)
        return pos
