"""changes.patch hunks: exact for random edits, CRLF, missing final newlines; linear-time matching."""
import random
import re

import pytest

from gpu2mlu.report.patch import file_diff, grouped_opcodes, opcodes

_HUNK = re.compile(rb"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@\n")


def apply(patch: bytes, original: bytes) -> bytes:
    """A strict applier: every context and removed line must match at the stated position."""
    lines = original.split(b"\n")
    old = [line + b"\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    body = patch.split(b"\n", 3)[3]
    out, pos = [], 0
    chunks = _HUNK.split(body)[1:]
    for k in range(0, len(chunks), 5):
        start = int(chunks[k]) - (0 if chunks[k + 1] == b"0" else 1)
        out += old[pos:start]
        pos = start
        hunk = chunks[k + 4].split(b"\n")
        items = []
        for line in hunk:
            if line.startswith(b"\\"):
                items[-1] = (items[-1][0], items[-1][1][:-1])  # no newline at end of file
            elif line:
                items.append((line[:1], line[1:] + b"\n"))
        for sign, text in items:
            if sign in (b" ", b"-"):
                assert old[pos] == text, (pos, old[pos], text)
                pos += 1
            if sign in (b" ", b"+"):
                out.append(text)
    return b"".join(out + old[pos:])


@pytest.mark.parametrize("seed", range(40))
def test_random_edits_round_trip(seed):
    rng = random.Random(seed)
    pool = [b"x", b"y", b"", b"    return x", b"import torch", b"z"]
    for _ in range(25):
        a = [rng.choice(pool) for _ in range(rng.randint(0, 60))]
        b = list(a)
        for _ in range(rng.randint(1, 6)):
            roll = rng.random()
            if roll < 0.5 and b:
                b[rng.randrange(len(b))] = b"changed %d" % rng.randint(0, 3)
            elif roll < 0.8:
                b.insert(rng.randint(0, len(b)), b"import torch_mlu")
            elif b:
                del b[rng.randrange(len(b))]
        nl_a, nl_b = rng.choice([b"\n", b"\r\n"]), rng.choice([b"\n", b"\r\n"])
        before = nl_a.join(a) + rng.choice([b"", nl_a])
        after = nl_b.join(b) + rng.choice([b"", nl_b])
        patch = file_diff("f.py", before, after)
        if before == after:
            assert patch == b""
        else:
            assert apply(patch, before) == after


def test_opcodes_are_linear_on_repetitive_files():
    a = [b"\n", b"    pass\n", b")\n"] * 20000
    b = list(a)
    for k in range(0, len(b), 500):
        b[k] = b"changed\n"
    ops = opcodes(a, b)
    rebuilt = []
    for tag, i1, i2, j1, j2 in ops:
        rebuilt += a[i1:i2] if tag == "equal" else b[j1:j2]
    assert rebuilt == b
    assert sum(1 for op in ops if op[0] != "equal") == len(range(0, len(b), 500))


def test_far_rewrites_among_repeated_lines_are_matched_in_windows():
    """No two agreeing lines within the look-ahead, and an unchanged line every fourth line: difflib
    on the whole rest was cubic here. The patch still applies, keeps every unchanged line as context
    and pairs each changed line with its rewrite."""
    block_a = [b"x = torch.cuda.FloatTensor(3)\n", b"y = t.cuda()\n", b"w = a + b\n", b'z = torch.device("cuda:0")\n']
    block_b = [b"x = torch.mlu.FloatTensor(3)\n", b"y = t.mlu()\n", b"w = a + b\n", b'z = torch.device("mlu:0")\n']
    a, b = block_a * 3000, block_b * 3000
    ops = opcodes(a, b)
    assert all(a[i1:i2] == b[j1:j2] for tag, i1, i2, j1, j2 in ops if tag == "equal")
    assert sum(i2 - i1 for tag, i1, i2, _, _ in ops if tag == "equal") == 3000  # every "w = a + b"
    assert all(i2 - i1 == j2 - j1 for _, i1, i2, j1, j2 in ops)
    before, after = b"".join(a), b"".join(b)
    assert apply(file_diff("f.py", before, after), before) == after


def test_a_file_with_no_line_left_is_one_change():
    """Matched window by window, but shown as one change: all removed lines, then all added ones."""
    a = [b"a%d\n" % k for k in range(5000)]
    b = [b"b%d\n" % k for k in range(5000)]
    assert grouped_opcodes(a, b) == [[("replace", 0, 5000, 0, 5000)]]
