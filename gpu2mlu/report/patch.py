"""changes.patch: the whole migration as one unified diff that `git apply` and `patch -p1` apply to
the original tree. Built from each changed file's exact bytes (its own encoding, BOM and line
endings), split into lines at "\\n" only, as git and patch do."""
from __future__ import annotations

from difflib import SequenceMatcher

from gpu2mlu.report.model import RunResult
from gpu2mlu.results import FileResult

CONTEXT = 3
_NO_NEWLINE = b"\\ No newline at end of file\n"


def file_bytes(f: FileResult) -> tuple[bytes, bytes]:
    """The original and converted bytes of a changed file whose text the run kept."""
    return f.before.encode(f.encoding), f.after.encode(f.encoding)


def _lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    last = lines.pop()
    lines = [line + b"\n" for line in lines]
    if last:
        lines.append(last)
    return lines


def _range(start: int, length: int) -> str:
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


_ESCAPES = {ord("\\"): "\\\\", ord('"'): '\\"', ord("\t"): "\\t", ord("\n"): "\\n"}


def _quote(path: str) -> str:
    """Paths as git writes them: C-quoted, non-ASCII bytes in octal, when a character needs it."""
    if path.isascii() and path.isprintable() and not any(c in path for c in '"\\'):
        return path
    body = "".join(_ESCAPES.get(b, chr(b) if 32 <= b < 127 else f"\\{b:03o}") for b in path.encode("utf-8"))
    return f'"{body}"'


def _file_line(marker: str, quoted: str) -> str:
    # like git: a name with a space ends with a tab, so that patch(1) reads the whole name
    return f"{marker} {quoted}\t\n" if " " in quoted and not quoted.startswith('"') else f"{marker} {quoted}\n"


def _emit(out: list[bytes], prefix: bytes, line: bytes) -> None:
    out.append(prefix + line)
    if not line.endswith(b"\n"):
        out.append(b"\n" + _NO_NEWLINE)


def file_diff(path: str, before: bytes, after: bytes, context: int = CONTEXT) -> bytes:
    """A git-style unified diff of one file (empty when nothing changed)."""
    a, b = _lines(before), _lines(after)
    groups = list(SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context))
    if not groups:
        return b""
    old, new = _quote(f"a/{path}"), _quote(f"b/{path}")
    out = [f"diff --git {old} {new}\n{_file_line('---', old)}{_file_line('+++', new)}".encode("utf-8")]
    for group in groups:
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(f"@@ -{_range(i1, i2 - i1)} +{_range(j1, j2 - j1)} @@\n".encode("ascii"))
        for tag, x1, x2, y1, y2 in group:
            if tag == "equal":
                for line in a[x1:x2]:
                    _emit(out, b" ", line)
                continue
            for line in a[x1:x2]:
                _emit(out, b"-", line)
            for line in b[y1:y2]:
                _emit(out, b"+", line)
    return b"".join(out)


def render(run: RunResult) -> bytes:
    """One patch for every changed file of the run, in path order."""
    parts = []
    for f in sorted(run.files, key=lambda f: f.path):
        if f.before is None or f.after is None:
            continue
        parts.append(file_diff(f.path, *file_bytes(f)))
    return b"".join(parts)
