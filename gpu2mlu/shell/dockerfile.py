"""Dockerfiles: instructions (any case) joined over their continuation lines, parser directives,
comment lines, heredocs, ENV/ARG names, FROM images, and the commands of RUN, CMD, ENTRYPOINT and
HEALTHCHECK in shell form (through the shell converter) or exec form (JSON arrays).

Each instruction's arguments are analysed as Docker hands them on (continuations and comment lines
removed); the edits are mapped back to the file, and an edit whose characters are not contiguous
in the file is dropped rather than guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

from gpu2mlu.rules import RuleSet
from gpu2mlu.shell.commands import (
    CUDA_IMAGE, Analysis, Note, analyze_env, analyze_script, analyze_words, cuda_image,
)
from gpu2mlu.shell.lexer import HereDoc, Word, contiguous_span, lex

_DIRECTIVE = re.compile(r"#[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*(\S+)[ \t]*\Z")
_INSTRUCTION = re.compile(r"[ \t]*([A-Za-z]+)(?=[ \t]|\Z)[ \t]*")
_FLAGS = re.compile(r"(?:--[A-Za-z][\w-]*(?:=\S*)?[ \t]+)*")  # RUN --mount=..., HEALTHCHECK --interval=...
_HEALTHCHECK_CMD = re.compile(r"CMD(?=[ \t]|\Z)[ \t]*", re.I)
_HEREDOC_MARK = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_.-]*)\2")
_ARG_REFERENCE = re.compile(r"\$(?:\{([A-Za-z_]\w*)(?::?[-+]([^}]*))?\}|([A-Za-z_]\w*))")
_SHELL_SHEBANG = re.compile(r"#![ \t]*(?:/usr)?(?:/local)?/bin/(?:env[ \t]+)?(?:ba|z|k|da)?sh\b")
_JSON_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


@dataclass(frozen=True)
class Mapped:
    """A text derived from the file (an instruction's arguments) and each character's file offset."""
    text: str
    offsets: tuple[int, ...]

    @classmethod
    def join(cls, source: str, segments: list[tuple[int, int]]) -> "Mapped":
        text = "".join(source[a:b] for a, b in segments)
        offsets = tuple(i for a, b in segments for i in range(a, b))
        return cls(text, offsets)

    def sub(self, start: int) -> "Mapped":
        return Mapped(self.text[start:], self.offsets[start:])

    def offset(self, i: int, fallback: int = 0) -> int:
        if not self.offsets:
            return fallback
        return self.offsets[min(max(i, 0), len(self.offsets) - 1)]

    def back(self, analysis: Analysis) -> Analysis:
        return analysis.mapped(lambda a, b: contiguous_span(self.offsets, a, b), self.offset)


def analyze_dockerfile(text: str, rules: RuleSet) -> Analysis:
    return _Dockerfile(text, rules).run()


def _physical_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line's content, newline (\\n or \\r\\n) excluded."""
    lines = []
    pos = 0
    while pos < len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl
        content_end = end - 1 if end > pos and text[end - 1] == "\r" else end
        lines.append((pos, content_end))
        pos = end + 1
    return lines


class _Dockerfile:
    def __init__(self, text: str, rules: RuleSet) -> None:
        self.text = text
        self.rules = rules
        self.lines = _physical_lines(text)
        self.escape = "\\"
        self.result = Analysis()
        self.arg_defaults: dict[str, str] = {}
        self.stages: set[str] = set()
        self.entrypoint: list[Word] = []  # the stage's exec-form ENTRYPOINT

    def add(self, analysis: Analysis) -> None:
        self.result.edits.extend(analysis.edits)
        self.result.notes.extend(analysis.notes)

    def line(self, i: int) -> str:
        a, b = self.lines[i]
        return self.text[a:b]

    # ------------------------------------------------------------------ structure

    def run(self) -> Analysis:
        i = 0
        directives = True
        while i < len(self.lines):
            line = self.line(i)
            if directives:
                m = _DIRECTIVE.match(line)
                if m:
                    if m.group(1).lower() == "escape" and m.group(2) in ("\\", "`"):
                        self.escape = m.group(2)
                    i += 1
                    continue
                directives = False
            stripped = line.strip()
            m = _INSTRUCTION.match(line)
            if not stripped or stripped.startswith("#") or not m:
                i += 1
                continue
            i, args = self.logical_line(i, self.lines[i][0] + m.end())
            i = self.instruction(m.group(1).upper(), args, i)
        return self.result

    def logical_line(self, i: int, start: int) -> tuple[int, Mapped]:
        """Join the instruction starting on line i over its continuation lines (comment and empty
        lines inside are dropped, as Docker does). Returns the next line and the arguments."""
        segments = []
        end = self.lines[i][1]
        while True:
            body = self.text[start:end].rstrip(" \t")
            i += 1
            if not body.endswith(self.escape):
                segments.append((start, end))
                break
            segments.append((start, start + len(body) - 1))
            while i < len(self.lines) and (not self.line(i).strip() or self.line(i).lstrip().startswith("#")):
                i += 1
            if i >= len(self.lines):
                break
            start, end = self.lines[i]
        return i, Mapped.join(self.text, segments)

    def heredoc_bodies(self, docs: list[HereDoc], i: int) -> tuple[int, list[tuple[int, int]]]:
        """Read heredoc bodies from line i: (next line, body spans)."""
        bodies = []
        for doc in docs:
            start = self.lines[i][0] if i < len(self.lines) else len(self.text)
            end = len(self.text)
            while i < len(self.lines):
                line = self.line(i)
                i += 1
                if (line.lstrip("\t") if doc.strip_tabs else line) == doc.delimiter:
                    end = self.lines[i - 1][0]
                    break
            bodies.append((start, end))
        return i, bodies

    # ------------------------------------------------------------------ instructions

    def instruction(self, keyword: str, args: Mapped, i: int) -> int:
        if keyword == "ONBUILD":
            m = _INSTRUCTION.match(args.text)
            if m:
                return self.instruction(m.group(1).upper(), args.sub(m.end()), i)
            return i
        if keyword == "FROM":
            self.entrypoint = []
            self.from_(args)
        elif keyword in ("ENV", "ARG"):
            self.env(keyword, args)
        elif keyword == "RUN":
            return self.run_instruction(args.sub(_FLAGS.match(args.text).end()), i)
        elif keyword == "ENTRYPOINT":
            self.entrypoint = self.command(args)
        elif keyword == "CMD":
            self.command(args, self.entrypoint)
        elif keyword == "HEALTHCHECK":
            rest = args.sub(_FLAGS.match(args.text).end())
            m = _HEALTHCHECK_CMD.match(rest.text)
            if m:
                self.command(rest.sub(m.end()))
        elif keyword in ("COPY", "ADD"):
            docs = [HereDoc(m.group(3), m.group(1) == "-") for m in _HEREDOC_MARK.finditer(args.text)]
            i, _ = self.heredoc_bodies(docs, i)  # file contents: left alone
        return i

    def from_(self, args: Mapped) -> None:
        words = [w for command in lex(args.text).commands for w in command]
        words = [w for w in words if not w.value.startswith("--")]
        if not words:
            return
        image_word = words[0]
        if len(words) >= 3 and words[1].value.lower() == "as":
            self.stages.add(words[2].value.lower())
        image = _ARG_REFERENCE.sub(self.arg_value, args.text[image_word.start:image_word.end])
        if image.lower() in self.stages or not cuda_image(self.rules, image):
            return
        self.result.notes.append(Note(args.offset(image_word.start), CUDA_IMAGE, image))

    def arg_value(self, m: re.Match) -> str:
        name = m.group(1) or m.group(3)
        return self.arg_defaults.get(name, m.group(2) or "")

    def env(self, keyword: str, args: Mapped) -> None:
        analysis = analyze_env(args.text, self.rules, legacy_form=keyword == "ENV")
        self.add(args.back(analysis))
        if keyword == "ARG":
            for command in analysis.script.commands:
                for word in command:
                    name, eq, value = word.value.partition("=")
                    if eq and word.static:
                        self.arg_defaults[name] = value

    def run_instruction(self, args: Mapped, i: int) -> int:
        if self.exec_form(args) is not None:
            return i
        analysis = analyze_script(args.text, self.rules)
        self.add(args.back(analysis))
        docs = analysis.script.pending
        if not docs:
            return i
        i, bodies = self.heredoc_bodies(docs, i)
        if analysis.script.commands:
            return i  # `RUN python3 <<EOF`: the bodies are input to a program
        for start, end in bodies:  # `RUN <<EOF`: each body is a script
            body = self.text[start:end]
            if body.startswith("#!") and not _SHELL_SHEBANG.match(body):
                continue
            inner = analyze_script(body, self.rules)
            self.add(Mapped(body, tuple(range(start, end))).back(inner))
        return i

    def command(self, args: Mapped, entrypoint: Sequence[Word] = ()) -> list[Word]:
        """CMD/ENTRYPOINT/HEALTHCHECK CMD: exec form, else shell form. Returns the exec form's words.
        A CMD of options only (`["--nproc-per-node", "gpu"]`) is read as arguments of the
        exec-form ENTRYPOINT."""
        words = self.exec_form(args, entrypoint)
        if words is None:
            self.add(args.back(analyze_script(args.text, self.rules)))
            return []
        return words

    def exec_form(self, args: Mapped, entrypoint: Sequence[Word] = ()) -> Optional[list[Word]]:
        words = _json_words(args.text)
        if words is None:
            return None
        # offsets into the file, so words of two instructions can form one command
        words = [Word(args.offset(w.start), args.offset(w.end - 1) + 1 if w.end > w.start else args.offset(w.start),
                      w.value, tuple(args.offsets[o] if o >= 0 else -1 for o in w.offsets)) for w in words]
        if words and words[0].value.startswith("-") and entrypoint:
            self.add(analyze_words([*entrypoint, *words], self.text, self.rules))
        else:
            self.add(analyze_words(words, self.text, self.rules))
        return words


def _json_words(text: str) -> Optional[list[Word]]:
    """The strings of a JSON array of strings, as words with offsets into `text`; None when the
    text is not such an array (Docker then runs it in the shell form)."""
    pos = len(text) - len(text.lstrip())
    if not text.startswith("[", pos):
        return None
    pos += 1
    words: list[Word] = []
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if not words and text.startswith("]", pos):
            pos += 1
            break
        if not text.startswith('"', pos):
            return None
        start = pos + 1
        chars, offsets = [], []
        pos = start
        while pos < len(text) and text[pos] != '"':
            c = text[pos]
            if c == "\\":
                esc = text[pos + 1:pos + 2]
                if esc in _JSON_ESCAPES:
                    chars.append(_JSON_ESCAPES[esc])
                    pos += 2
                elif esc == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", text[pos + 2:pos + 6]):
                    chars.append(chr(int(text[pos + 2:pos + 6], 16)))
                    pos += 6
                else:
                    return None
                offsets.append(-1)  # an escape sequence cannot be edited as one character
                continue
            chars.append(c)
            offsets.append(pos)
            pos += 1
        if pos >= len(text):
            return None
        words.append(Word(start, pos, "".join(chars), tuple(offsets)))
        pos += 1
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if text.startswith(",", pos):
            pos += 1
            continue
        if text.startswith("]", pos):
            pos += 1
            break
        return None
    return words if not text[pos:].strip() else None
