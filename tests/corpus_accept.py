"""The acceptance corpus: convert a pinned package and hold every change to a reviewed expectation.

tests/corpus_expectations/NAME.toml lists, for the package NAME of ``corpus.ACCEPTANCE``:

- ``[conversion]``: report.json's ``summary.conversion`` (automatic, manual, rate);
- ``[changes] import_torch_mlu``: the torch-import lines after which ``import torch_mlu`` is added;
- ``[changes] expected``: every other changed line, ``"FILE:LINE [RULE] BEFORE  =>  AFTER"``
  (stripped lines, as report.json has them), reviewed by hand;
- ``[[known_wrong]]``: changes the converter makes that are wrong (``change``, ``should_be``,
  ``why``): converter bugs, kept so the test documents them until they are fixed;
- ``[findings] expected``: every finding, ``"FILE:LINE ID"``;
- ``[[known_missed]]``: lines that should change or be reported and are not (``at``, ``line``,
  ``should_be``, ``why``);
- ``[must_not_change] lines``: every line of a .py file that mentions a CUDA word and must stay
  byte for byte (``"FILE:LINE TEXT"``): identifiers, log text, comments;
- ``[notes]``: ``"FILE:LINE" = "why this change is right"`` for the ones that need a word.

``check()`` compares a conversion with the file and returns every difference; the changed lines
are found by comparing the input and output trees themselves, not only by trusting report.json.

Refresh after a deliberate converter change, then review ``git diff tests/corpus_expectations``::

    python tests/corpus_accept.py refresh [NAME ...]

A refresh keeps ``known_wrong``, ``known_missed`` and ``notes`` entries that still apply, lists
every new change as expected, and prints what moved: each new line must be reviewed by hand (a
wrong one goes to ``known_wrong`` with its reason) before committing.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
EXPECTATIONS = HERE / "corpus_expectations"
ARROW = "  =>  "
# Lines of .py files that mention any of these words are listed in must_not_change when they stay.
CUDA_WORDS = re.compile(r"cuda|nccl|cudnn|cublas|nvtx|nvml|nvidia|gpu", re.IGNORECASE)
IMPORT_LINE = "import torch_mlu"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


corpus = _load("gpu2mlu_test_corpus", HERE / "corpus.py")


def expectation_path(name: str) -> Path:
    return EXPECTATIONS / f"{name}.toml"


def convert(name: str, out: Path, *, fetch: bool = True) -> tuple[Path, Path, dict]:
    """Convert the pinned wheel of NAME into OUT: (input tree, OUT, report.json)."""
    return convert_dir(corpus.corpus_tree(name, fetch=fetch), out)


def convert_dir(src: Path, out: Path) -> tuple[Path, Path, dict]:
    """`torch_gpu2mlu -i SRC -o OUT --force -q`: (SRC, OUT, report.json)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from gpu2mlu.cli import main

    rc = main(["-i", str(src), "-o", str(out), "--force", "-q"])
    if rc != 0:
        raise RuntimeError(f"converting {src} exited with {rc}")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return src, out, report


# ---------------------------------------------------------------- what a conversion did

def change_key(entry: dict) -> str:
    return f"{entry['file']}:{entry['line']} [{entry['rule']}] {entry['before']}{ARROW}{entry['after']}"


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def observe(src: Path, out: Path, report: dict) -> dict:
    """Everything the expectation file pins, read from report.json and from the trees."""
    adds = sorted({f"{c['file']}:{c['line']}" for c in report["changes"]
                   if c["rule"] == "import-torch-mlu"}, key=_order)
    changes = sorted((change_key(c) for c in report["changes"] if c["rule"] != "import-torch-mlu"),
                     key=_order)
    findings = sorted((f"{f['file']}:{f['line']} {f['id']}" for f in report["findings"]), key=_order)

    # The trees themselves: per .py file, input line -> output line once the added
    # `import torch_mlu` lines are taken out; a file whose line count then differs is an error.
    diff_changed, kept, tree_errors, added = {}, {}, [], {}
    for path in sorted(src.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(src).as_posix()
        other = out / rel
        if not other.is_file():
            tree_errors.append(f"{rel}: missing from the output")
            continue
        if not rel.endswith(".py"):
            if other.read_bytes() != path.read_bytes():
                tree_errors.append(f"{rel}: not a .py file, but changed")
            continue
        before, after = _lines(path), _lines(other)
        inserted = [i for i, line in enumerate(after)
                    if line.strip() == IMPORT_LINE and line not in before]
        added[rel] = len(inserted)
        skip = set(inserted)
        rest = [line for i, line in enumerate(after) if i not in skip]
        if len(rest) != len(before):
            tree_errors.append(f"{rel}: {len(before)} lines in, {len(rest)} out besides the imports")
            continue
        for no, (a, b) in enumerate(zip(before, rest), start=1):
            if a != b:
                diff_changed[f"{rel}:{no}"] = (a.strip(), b.strip())
            elif CUDA_WORDS.search(a):
                kept[f"{rel}:{no}"] = a.strip()

    return {
        "conversion": report["summary"]["conversion"],
        "import_torch_mlu": adds,
        "changes": changes,
        "findings": findings,
        "diff_changed": diff_changed,
        "kept": kept,
        "added_imports": added,
        "tree_errors": tree_errors,
    }


def _order(key: str):
    """Sort "FILE:LINE ..." by file, then line number."""
    head = key.split(" ", 1)[0]
    file, _, line = head.rpartition(":")
    return (file, int(line) if line.isdigit() else 0, key)


def _at(key: str) -> str:
    return key.split(" ", 1)[0]


# ---------------------------------------------------------------- the comparison

def load(name: str) -> dict:
    with expectation_path(name).open("rb") as fh:
        return tomllib.load(fh)


def check(expect: dict, seen: dict) -> list[str]:
    """Every way SEEN differs from EXPECT, as readable lines (empty: they agree)."""
    problems = list(seen["tree_errors"])

    conv = expect["conversion"]
    got = seen["conversion"]
    if (got["automatic"], got["manual"], got["rate"]) != (conv["automatic"], conv["manual"], conv["rate"]):
        problems.append(f"conversion {got} != expected {conv}")

    def compare(kind, expected, observed):
        for key in sorted(set(observed) - set(expected), key=_order):
            problems.append(f"unexpected {kind}: {key}")
        for key in sorted(set(expected) - set(observed), key=_order):
            problems.append(f"missing {kind}: {key}")
        dupes = {k for k in expected if expected.count(k) > 1}
        problems.extend(f"{kind} listed twice in the expectation: {k}" for k in sorted(dupes))

    changes = expect["changes"]
    wrong = [w["change"] for w in expect.get("known_wrong", [])]
    for w in expect.get("known_wrong", []):
        for field in ("change", "should_be", "why"):
            if not str(w.get(field, "")).strip():
                problems.append(f"known_wrong entry without {field!r}: {w}")
    compare("import torch_mlu", changes["import_torch_mlu"], seen["import_torch_mlu"])
    compare("change", changes["expected"] + wrong, seen["changes"])
    compare("finding", expect["findings"]["expected"], seen["findings"])

    # report.json against the trees: the lines it names are exactly the lines that differ,
    # with its before/after, and one `import torch_mlu` per add row.
    reported = {}
    for key in seen["changes"]:
        at, rest = key.split(" ", 1)
        before, _, after = rest.split("] ", 1)[1].partition(ARROW)
        reported[at] = (before, after)
    for at in sorted(set(seen["diff_changed"]) - set(reported), key=_order):
        problems.append(f"line changed but not in report.json: {at} {seen['diff_changed'][at]}")
    for at in sorted(set(reported) - set(seen["diff_changed"]), key=_order):
        problems.append(f"report.json names a change the output does not have: {at}")
    for at in sorted(set(reported) & set(seen["diff_changed"]), key=_order):
        if reported[at] != seen["diff_changed"][at]:
            problems.append(f"report.json says {at} {reported[at]}, the output has {seen['diff_changed'][at]}")
    per_file = {}
    for at in seen["import_torch_mlu"]:
        per_file[at.rpartition(":")[0]] = per_file.get(at.rpartition(":")[0], 0) + 1
    for rel, count in sorted(seen["added_imports"].items()):
        if count != per_file.get(rel, 0):
            problems.append(f"{rel}: {count} `import torch_mlu` lines added, report.json says {per_file.get(rel, 0)}")

    # Lines that must stay: still in the input as written, and unchanged in the output.
    for entry in expect["must_not_change"]["lines"]:
        at, _, text = entry.partition(" ")
        if at in seen["diff_changed"]:
            problems.append(f"must not change, but changed: {entry} -> {seen['diff_changed'][at][1]}")
        elif seen["kept"].get(at) != text:
            problems.append(f"must_not_change is stale (the input's line {at} is not {text!r})")
    listed = {e.partition(" ")[0] for e in expect["must_not_change"]["lines"]}
    for at in sorted(set(seen["kept"]) - listed, key=_order):
        problems.append(f"kept line with a CUDA word missing from must_not_change: {at} {seen['kept'][at]}")

    for miss in expect.get("known_missed", []):
        entry = f"{miss['at']} {miss['line']}"
        if entry not in expect["must_not_change"]["lines"]:
            problems.append(f"known_missed line must also be in must_not_change: {entry}")
        if any(f.startswith(miss["at"] + " ") for f in seen["findings"]):
            problems.append(f"known_missed {miss['at']} is now reported: move it to the findings")
    return problems


# ---------------------------------------------------------------- refresh

def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=True)


def _array(items, indent="    ") -> str:
    if not items:
        return "[]"
    return "[\n" + "".join(f"{indent}{_q(i)},\n" for i in items) + "]"


def render(name: str, seen: dict, old: dict | None) -> str:
    old = old or {}
    wrong = [w for w in old.get("known_wrong", []) if w["change"] in seen["changes"]]
    wrong_keys = {w["change"] for w in wrong}
    missed = [m for m in old.get("known_missed", []) if seen["kept"].get(m["at"]) == m["line"]]
    live = {_at(k) for k in seen["changes"]} | set(seen["import_torch_mlu"]) | set(seen["kept"])
    notes = {k: v for k, v in old.get("notes", {}).items() if k in live}
    conv = seen["conversion"]
    out = [
        f"# Acceptance corpus: {name}=={corpus.pinned(name)}. Every change gpu2mlu makes to the",
        "# unpacked wheel, reviewed by hand (see tests/corpus_accept.py for the format).",
        "# Refresh: python tests/corpus_accept.py refresh " + name + "; then review the diff.",
        "",
        f"package = {_q(name)}",
        f"version = {_q(corpus.pinned(name))}",
        "",
        "[conversion]",
        f"automatic = {conv['automatic']}",
        f"manual = {conv['manual']}",
        f"rate = {json.dumps(conv['rate'])}" if conv["rate"] is not None else "# rate: no site",
        "",
        "[changes]",
        "# `import torch_mlu` is added after the torch import on each of these lines",
        f"import_torch_mlu = {_array(seen['import_torch_mlu'])}",
        "# FILE:LINE [RULE] BEFORE  =>  AFTER",
        f"expected = {_array([c for c in seen['changes'] if c not in wrong_keys])}",
        "",
    ]
    for w in wrong:
        out += ["[[known_wrong]]", f"change = {_q(w['change'])}", f"should_be = {_q(w['should_be'])}",
                f"why = {_q(w['why'])}", ""]
    out += ["[findings]", "# FILE:LINE ID", f"expected = {_array(seen['findings'])}", ""]
    for m in missed:
        out += ["[[known_missed]]", f"at = {_q(m['at'])}", f"line = {_q(m['line'])}",
                f"should_be = {_q(m['should_be'])}", f"why = {_q(m['why'])}", ""]
    kept = [f"{at} {text}" for at, text in sorted(seen["kept"].items(), key=lambda kv: _order(kv[0]))]
    out += ["[must_not_change]", "# lines with a CUDA word that stay byte for byte: FILE:LINE TEXT",
            f"lines = {_array(kept)}", ""]
    out += ["[notes]"] + [f"{_q(k)} = {_q(v)}" for k, v in sorted(notes.items(), key=lambda kv: _order(kv[0]))]
    return "\n".join(out) + "\n"


def _main(argv=None) -> int:
    import tempfile

    parser = argparse.ArgumentParser(prog="corpus_accept.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    ref = sub.add_parser("refresh", help="rewrite tests/corpus_expectations/NAME.toml from a conversion")
    ref.add_argument("names", nargs="*", metavar="NAME")
    args = parser.parse_args(argv)
    for name in args.names or list(corpus.ACCEPTANCE):
        path = expectation_path(name)
        old = load(name) if path.exists() else None
        with tempfile.TemporaryDirectory() as tmp:
            src, out, report = convert(name, Path(tmp) / "out")
            seen = observe(src, out, report)
        text = render(name, seen, old)
        if seen["tree_errors"]:
            print(f"{name}: tree errors (fix before trusting this file):", *seen["tree_errors"],
                  sep="\n  ", file=sys.stderr)
        if old is not None:
            old_changes = set(old["changes"]["expected"]) | {w["change"] for w in old.get("known_wrong", [])}
            for key in sorted(set(seen["changes"]) - old_changes, key=_order):
                print(f"{name}: NEW, review: {key}")
            for key in sorted(old_changes - set(seen["changes"]), key=_order):
                print(f"{name}: gone: {key}")
        EXPECTATIONS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"{name}: wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
