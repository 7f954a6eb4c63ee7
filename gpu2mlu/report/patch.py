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
    groups = grouped_opcodes(a, b, context)
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


# gpu2mlu's changes keep nearly every line and its order, so the diff re-synchronises after each
# difference by looking a short way ahead (linear time), instead of difflib's general matching,
# which is quadratic on files with many repeated lines. Any alignment is a valid patch as long as
# "equal" lines are equal; far-apart rewrites fall back to difflib, on the whole rest of the file
# when that is short, else on a window at a time: difflib is quadratic or worse on many repeated lines
# (a 4,000-line stretch of a generated file took 80 s).
_LOOKAHEAD = 48
_SYNC = 2  # lines that must agree for a re-synchronisation
_REST = 1_000  # lines (both sides) that difflib may match in one go
_WINDOW = 2 * _LOOKAHEAD  # lines per side that difflib matches at a time beyond that


def _resync(a: list, b: list, i: int, j: int):
    n, m = len(a), len(b)
    for distance in range(1, 2 * _LOOKAHEAD):
        for k in range(max(0, distance - _LOOKAHEAD), min(distance, _LOOKAHEAD) + 1):
            x, y = i + k, j + distance - k
            if x > n or y > m:
                continue
            if x == n or y == m:
                if x == n and y == m:
                    return x, y
                continue
            if a[x] == b[y] and a[x:x + _SYNC] == b[y:y + _SYNC] and (x + _SYNC <= n) == (y + _SYNC <= m):
                return x, y
    return None


def opcodes(a: list, b: list) -> list[tuple[str, int, int, int, int]]:
    """difflib-style opcodes turning line list `a` into `b`."""
    ops: list[tuple[str, int, int, int, int]] = []
    i = j = 0
    n, m = len(a), len(b)
    while i < n or j < m:
        i0, j0 = i, j
        while i < n and j < m and a[i] == b[j]:
            i, j = i + 1, j + 1
        if i > i0:
            ops.append(("equal", i0, i, j0, j))
        if i == n and j == m:
            break
        found = _resync(a, b, i, j)
        if found is None and (n - i) + (m - j) <= _REST:
            for tag, x1, x2, y1, y2 in SequenceMatcher(None, a[i:], b[j:], autojunk=False).get_opcodes():
                ops.append((tag, x1 + i, x2 + i, y1 + j, y2 + j))
            break
        if found is None:
            window = _window(a, b, i, j)
            ops += window
            i, j = window[-1][2], window[-1][4]
            continue
        x, y = found
        if x > i and y > j:  # a short stretch: let difflib pair its lines exactly
            for tag, x1, x2, y1, y2 in SequenceMatcher(None, a[i:x], b[j:y], autojunk=False).get_opcodes():
                ops.append((tag, x1 + i, x2 + i, y1 + j, y2 + j))
        else:
            ops.append(("delete" if x > i else "insert", i, x, j, y))
        i, j = x, y
    return ops


def _window(a: list, b: list, i: int, j: int) -> list[tuple]:
    """difflib's opcodes for the next _WINDOW lines of each side, up to their last equal run (from
    where the linear scan goes on); one change of the whole window when no line matches."""
    x2, y2 = min(len(a), i + _WINDOW), min(len(b), j + _WINDOW)
    ops = [(tag, x1 + i, x2_ + i, y1 + j, y2_ + j)
           for tag, x1, x2_, y1, y2_ in SequenceMatcher(None, a[i:x2], b[j:y2], autojunk=False).get_opcodes()]
    last = max((k for k, op in enumerate(ops) if op[0] == "equal"), default=None)
    if last is None:
        return [(_tag(i, x2, j, y2), i, x2, j, y2)]
    return ops[:last + 1]


def _tag(i1: int, i2: int, j1: int, j2: int) -> str:
    return "replace" if i2 > i1 and j2 > j1 else "delete" if i2 > i1 else "insert"


def _merged(ops: list[tuple]) -> list[tuple]:
    """Adjacent equal runs as one (the refinement above can leave them side by side), and adjacent
    changes as one (windows in which no line matched)."""
    out: list[tuple] = []
    for op in ops:
        if out and op[0] == "equal" == out[-1][0]:
            out[-1] = ("equal", out[-1][1], op[2], out[-1][3], op[4])
        elif out and op[0] != "equal" != out[-1][0]:
            i1, j1 = out[-1][1], out[-1][3]
            out[-1] = (_tag(i1, op[2], j1, op[4]), i1, op[2], j1, op[4])
        else:
            out.append(op)
    return out


def grouped_opcodes(a: list, b: list, context: int = CONTEXT) -> list[list[tuple]]:
    """Opcodes in hunks, with `context` equal lines around each change (as difflib groups them)."""
    ops = _merged(opcodes(a, b))
    if not any(op[0] != "equal" for op in ops):
        return []
    if ops[0][0] == "equal":
        _, i1, i2, j1, j2 = ops[0]
        ops[0] = ("equal", max(i1, i2 - context), i2, max(j1, j2 - context), j2)
    if ops[-1][0] == "equal":
        _, i1, i2, j1, j2 = ops[-1]
        ops[-1] = ("equal", i1, min(i2, i1 + context), j1, min(j2, j1 + context))
    groups, group = [], []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal" and i2 - i1 > 2 * context:
            group.append((tag, i1, i1 + context, j1, j1 + context))
            groups.append(group)
            group = []
            i1, j1 = i2 - context, j2 - context
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        groups.append(group)
    return groups


def render(run: RunResult) -> bytes:
    """One patch for every changed file of the run, in path order."""
    parts = []
    for f in sorted(run.files, key=lambda f: f.path):
        if f.before is None or f.after is None:
            continue
        parts.append(file_diff(f.path, *file_bytes(f)))
    return b"".join(parts)
