"""report.html: report.md's content (summary, changes, findings, skipped files) plus a diff of
every changed file, in one self-contained page.

Nothing is loaded from anywhere: the CSS and JavaScript (gpu2mlu/report/assets) are inlined and a
Content-Security-Policy allows exactly those two blocks (by hash) and nothing else, so the page
opens from file:// and text from the project (paths, code, messages), which is always escaped,
could not run or load anything even if it slipped through. The script only adds filters and the
side-by-side view; without it every section is shown in full. The only links out of the page are
relative ones to the reports next to it (changes.patch, report.md, report.json), where a section cut
to keep the page small (gpu2mlu.report.cap) says what it left out.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import resources

from gpu2mlu import __version__
from gpu2mlu.report import cap
from gpu2mlu.report.diff import NO_NEWLINE, DiffLine, Hunk, file_changes
from gpu2mlu.report.model import RunResult, conversion, location, summarize
from gpu2mlu.results import Change
from gpu2mlu.rules import load_ruleset

# Badge colours: the rule families of families.toml get distinct hues, in the table's order;
# others one picked from their name.
_FAMILIES = tuple(load_ruleset().families)
_HUES = 12

# Characters that would hide or reorder what a reader sees (C0 controls, DEL, bidi overrides as in
# "Trojan Source"): shown as visible markers instead.
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NEWLINES = re.compile(r"\r\n?|\n")
_WORD = re.compile(r"\w+|\s+|[^\w\s]")
_MAX_INLINE_TOKENS = 2000  # longer lines are not compared word by word


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return resources.files("gpu2mlu.report").joinpath("assets", name).read_text(encoding="utf-8")


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _visible(char: str) -> str:
    code = ord(char)
    shown = chr(0x2400 + code) if code < 0x20 else "\u2421" if code == 0x7f else f"U+{code:04X}"
    return f'<span class="ctl" title="U+{code:04X}">{shown}</span>'


def esc(text: str) -> str:
    """Text for an HTML element: escaped, with invisible control characters made visible."""
    return _HIDDEN.sub(lambda m: _visible(m.group()), html.escape(text, quote=True))


def attr(text: str) -> str:
    return html.escape(text, quote=True)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def _hue(rule: str) -> int:
    if rule in _FAMILIES:
        return _FAMILIES.index(rule) % _HUES
    return int(hashlib.sha1(rule.encode("utf-8")).hexdigest()[:6], 16) % _HUES


def badge(rule: str, title: bool = False) -> str:
    """A rule family badge; the script turns a click on it into the rule filter."""
    hint = f' title="rule family {attr(rule)}: click to show only its changes"' if title else ""
    return f'<a class="b h{_hue(rule)}" href="#rule-{attr(_slug(rule))}"{hint}>{esc(rule)}</a>'


def _badges(rules, title: bool = False) -> str:
    return "".join(badge(r, title) for r in rules)


def _one_line(text: str) -> str:
    return _NEWLINES.sub("\n", text)


# --- diffs -----------------------------------------------------------------------------------

def _blocks(hunk: Hunk):
    """Runs of changed lines in a hunk: (old line count before the run, removed, added)."""
    before, removed, added = hunk.old_start - 1, [], []
    for line in hunk.lines:
        if line.op == " ":
            if removed or added:
                yield before, removed, added
                removed, added = [], []
            before = line.old
        elif line.op == "-":
            removed.append(line)
        else:
            added.append(line)
    if removed or added:
        yield before, removed, added


def _needles(text: str):
    for part in _NEWLINES.split(text):
        part = part.strip()
        if part:
            yield part
            quoted = json.dumps(part, ensure_ascii=False)[1:-1]  # as it appears inside a JSON string
            if quoted != part:
                yield quoted


def attribute_rules(file_result, file_hunks: list[Hunk], changes=None) -> dict[int, list[str]]:
    """Rule families of each changed diff line, keyed by id() of the DiffLine.

    Lines are matched by number (a changed row covers its input lines; added rows follow an input
    line); lines that match nothing that way (notebook cells, whose rows count lines within a cell)
    are matched by the changed text they contain. `changes`: the file's changes to consider (all by
    default). Every lookup goes through an index built once per block or file, so a block of 100,000
    changed lines costs about 100,000 lookups, not their square.
    """
    changes = file_result.changes if changes is None else changes
    by_old: dict[int, list[str]] = {}
    added_after: dict[int, list[tuple[str, str]]] = {}
    afters: dict[int, list[tuple[str, str]]] = {}  # input line -> (changed text of its row, rule)
    for c in changes:
        if c.cell is not None:
            continue
        if c.added:
            added_after.setdefault(c.line, []).append((c.after.strip(), c.rule))
            continue
        for n in range(c.line, c.line + len(_NEWLINES.split(c.before))):
            rules = by_old.setdefault(n, [])
            if c.rule not in rules:
                rules.append(c.rule)
            afters.setdefault(n, []).append((c.after, c.rule))
    result: dict[int, list[str]] = {}
    for hunk in file_hunks:
        for before, removed, added in _blocks(hunk):
            for line in removed:
                result[id(line)] = list(by_old.get(line.old, ()))
            if added:
                _attribute_added(before, removed, added, added_after, afters, result)
    unmatched = [line for hunk in file_hunks for line in hunk.lines if line.op != " " and not result.get(id(line))]
    if unmatched:
        by_text = _TextRules(changes)
        for line in unmatched:
            result[id(line)] = by_text.rules(line)
    return result


def _attribute_added(before: int, removed, added, added_after, afters, result) -> None:
    """Rules of a block's added lines: an added row, by its text; else the changed row whose new
    text holds this line; else the removed line it replaces; else whatever the block changed."""
    block_rules = list(dict.fromkeys(r for line in removed for r in result[id(line)]))
    added_rows: dict[str, list[str]] = {}  # text of an added row following a line of the block -> rules
    for n in range(before, before + len(removed) + 1):
        for text, rule in added_after.get(n, ()):
            added_rows.setdefault(text, []).append(rule)
    # the changed rows of the block's removed lines, each once, in line order
    candidates = list(dict.fromkeys((after, rule) for old in removed for after, rule in afters.get(old.old, ())))
    parts: dict[str, list[str]] = {}  # a stripped line of a changed row's new text -> rules
    for after, rule in candidates:
        for part in dict.fromkeys(p.strip() for p in _NEWLINES.split(after)):
            parts.setdefault(part, []).append(rule)
    for i, line in enumerate(added):
        text = line.content.strip()
        rules = added_rows.get(text, [])
        if not rules and text:
            rules = parts.get(text) or [rule for after, rule in candidates if text in after]
        if not rules and len(removed) == len(added):
            rules = result[id(removed[i])]
        result[id(line)] = list(dict.fromkeys(rules)) or block_rules


class _TextRules:
    """Rules of a diff line by the changed text it contains (removed lines: a change's old text,
    added lines: its new text), in the order of the first change that matches. Each distinct
    (text, rule) is tried once per line, however many changes repeat it."""

    def __init__(self, changes):
        self._needles: dict[str, dict[tuple[str, str], int]] = {"-": {}, "+": {}}
        for k, c in enumerate(changes):
            for op, side in (("-", c.before), ("+", c.after)):
                for needle in _needles(side):
                    self._needles[op].setdefault((needle, c.rule), k)

    def rules(self, line: DiffLine) -> list[str]:
        first: dict[str, int] = {}
        for (needle, rule), k in self._needles[line.op].items():
            if needle in line.content and k < first.get(rule, k + 1):
                first[rule] = k
        return sorted(first, key=first.__getitem__)


def _inline(old: str, new: str) -> tuple[str, str]:
    """Both lines escaped, with the words that differ marked."""
    a, b = _WORD.findall(old), _WORD.findall(new)
    if len(a) + len(b) > _MAX_INLINE_TOKENS:
        return esc(old), esc(new)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < 0.4:  # unrelated lines: marking everything helps nobody
        return esc(old), esc(new)
    left, right = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        x, y = esc("".join(a[i1:i2])), esc("".join(b[j1:j2]))
        if tag == "equal":
            left.append(x)
            right.append(y)
            continue
        if x:
            left.append(f"<mark>{x}</mark>")
        if y:
            right.append(f"<mark>{y}</mark>")
    return "".join(left), "".join(right)


def _code(file_hunks: list[Hunk]) -> dict[int, str]:
    """Escaped code of every diff line, word differences marked on paired removed/added lines."""
    code: dict[int, str] = {}
    for hunk in file_hunks:
        for _, removed, added in _blocks(hunk):
            for old, new in zip(removed, added):
                code[id(old)], code[id(new)] = _inline(old.content, new.content)
        for line in hunk.lines:
            if id(line) not in code:
                code[id(line)] = esc(line.content)
    return code


# Diff lines are the bulk of a big report, and a browser's time goes with the number of elements:
# a line is one element (its numbers and +/- marker are CSS drawn from data-o/data-n), context
# lines carry nothing else, and only lines a change or finding links to get an id.
_LINE_CLASS = {" ": "l", "-": "l d", "+": "l a"}


def _diff_line(n: int, line: DiffLine, code: str, rules: list[str], linked: set[int], anchors: set[int]) -> str:
    row_id = ""
    if line.op != "+" and line.old in linked:
        anchors.add(line.old)
        row_id = f' id="f{n}-L{line.old}"'
    old = f" data-o={line.old}" if line.op != "+" else ""
    new = f" data-n={line.new}" if line.op != "-" else ""
    extra = f' data-r="{attr(" ".join(rules))}"><span class=rl>{_badges(rules)}</span>' if rules else ">"
    out = f'<div class="{_LINE_CLASS[line.op]}"{row_id}{old}{new}{extra}{code}</div>'
    if line.ends_file_without_newline:
        out += f'<div class="l nn">{esc(NO_NEWLINE)}</div>'
    return out


def _near(changes, file_hunks: list[Hunk]) -> list:
    """The changes that can name the rules of the shown lines of a cut diff: those up to its last
    shown input line (added rows follow a line), and notebook ones (their lines count in a cell)."""
    last = max((line.old for h in file_hunks for line in h.lines if line.old is not None), default=0)
    return [c for c in changes if c.cell is not None or c.line <= last + 1]


def _cut_notice(hidden: int, links: dict[str, str]) -> str:
    return (f'<p class="note cut">{hidden:,} more changed lines not shown (this page shows at most '
            f"{cap.FILE_DIFF_LINES:,} diff lines per file and {cap.PAGE_DIFF_LINES:,} in all); see "
            f'{_link(links["patch"])}, next to this page, for the whole diff.</p>')


def _file_section(n: int, f, anchors: set[int], page: cap.Allowance, links: dict[str, str]) -> str:
    rules = list(dict.fromkeys(c.rule for c in f.changes))
    ids = list(dict.fromkeys(x.id for x in f.findings))
    head = [f'<span class="path">{_path(f.path)}</span>', f'<span class="tag">{esc(f.kind)}</span>']
    body: list[str]
    if f.before is None or f.after is None:
        body = ['<p class="muted">No diff: this run did not keep the text of changed files.</p>']
    else:
        diff = file_changes(f.before, f.after)
        start = page.for_file()
        left = cap.Allowance(start.lines, start.chars)
        shown = cap.cut(diff, left)
        page.spend(left, start)
        file_hunks = shown.hunks
        line_rules = attribute_rules(f, file_hunks, _near(f.changes, file_hunks) if shown.hidden else None)
        code = _code(file_hunks)
        head.append(f'<span class="plus">+{diff.added}</span><span class="minus">\u2212{diff.removed}</span>')
        if "\r\n" in f.before:
            head.append('<span class="tag" title="the file keeps its CRLF line endings">CRLF</span>')
        linked = {item.line for item in (*f.changes, *f.findings) if item.cell is None}
        lines = []
        for hunk in file_hunks:
            lines.append(f'<div class="l h">{esc(hunk.header)}</div>')
            lines += [_diff_line(n, line, code[id(line)], line_rules.get(id(line), []), linked, anchors)
                      for line in hunk.lines]
        body = ['<div class="diff uni">', *lines, "</div>"] if lines else []
        if shown.hidden:
            body.append(_cut_notice(shown.hidden, links))
    rate = conversion([f])
    if rate["rate"] is not None:
        head.append(f'<span class="tag" title="{rate["automatic"]} sites converted automatically, '
                    f'{rate["manual"]} need a human">{_percent(rate["rate"])} automatic</span>')
    head.append(f'<span class="badges">{_badges(rules, title=True)}</span>')
    # the file's rules and finding IDs, for the filters even when its table rows are cut
    keys = f' data-r="{attr(" ".join(rules))}"' + (f' data-ids="{attr(" ".join(ids))}"' if ids else "")
    return (f'<section class="file" id="f{n}" data-file="{attr(f.path)}"{keys}><details open><summary>'
            + "".join(head) + "</summary>" + "".join(body) + "</details></section>")


# --- tables ----------------------------------------------------------------------------------

def _path(text: str) -> str:
    """An escaped path that may wrap after its slashes."""
    return "/<wbr>".join(esc(part) for part in text.split("/"))


def _loc_link(path: str, item, sections: dict[str, tuple[int, set[int]]]) -> str:
    text = _path(location(path, item))
    if path not in sections:
        return f'<span class="mono">{text}</span>'
    n, anchors = sections[path]
    target = f"f{n}-L{item.line}" if item.cell is None and item.line in anchors else f"f{n}"
    return f'<a class="mono" href="#{target}">{text}</a>'


class _Rows:
    """A table's rows as the page shows them: at most cap.FILE_ROWS per file and cap.PAGE_ROWS in
    all. Numbers count every row, so they stay those of report.md."""

    def __init__(self):
        self.shown: list[str] = []
        self.total = 0
        self.cut: dict[str, int] = {}  # path -> rows left out
        self._file, self._in_file = None, 0

    def add(self, path: str, render) -> None:
        """Count a row of `path`; `render(number)` makes its markup if the row is shown."""
        self.total += 1
        if path != self._file:
            self._file, self._in_file = path, 0
        if self._in_file >= cap.FILE_ROWS or len(self.shown) >= cap.PAGE_ROWS:
            self.cut[path] = self.cut.get(path, 0) + 1
            return
        self._in_file += 1
        self.shown.append(render(self.total))

    def notice(self, what: str, links: dict[str, str]) -> str:
        if not self.cut:
            return ""
        named = sorted(self.cut.items(), key=lambda kv: -kv[1])
        files = ", ".join(f'<span class="mono">{_path(p)}</span> ({k:,} more)' for p, k in named[:5])
        if len(named) > 5:
            files += f", and {len(named) - 5:,} more files"
        return (f'<p class="note cut">This page lists {len(self.shown):,} of the {self.total:,} {what} (at most '
                f"{cap.FILE_ROWS:,} per file and {cap.PAGE_ROWS:,} in all); "
                f'{_link(links["md"])} and {_link(links["json"])}, '
                f"next to this page, list them all. Left out: {files}.</p>")


def _change_rows(run: RunResult, sections) -> _Rows:
    """One row per changed line (several rules on a line share it), numbered as in report.md."""
    table = _Rows()
    for f in run.files:
        merged: dict[tuple, list[str]] = {}
        for c in f.changes:
            rules = merged.setdefault((c.cell, c.line, c.added, c.before, c.after), [])
            if c.rule not in rules:
                rules.append(c.rule)
        for (cell, line, added, before, after), rules in merged.items():
            table.add(f.path, lambda number: _change_row(number, f.path, cell, line, added, before, after,
                                                         rules, sections))
    return table


def _change_row(number: int, path: str, cell, line: int, added: bool, before: str, after: str, rules,
                sections) -> str:
    if added:
        desc = f'add <code>{esc(_one_line(after))}</code>'
    else:
        desc = f'change <code>{esc(_one_line(before))}</code> to <code>{esc(_one_line(after))}</code>'
    where = Change(line, "", before, after, added, cell)
    return (f'<tr data-file="{attr(path)}" data-r="{attr(" ".join(rules))}"><td class="num">{number}</td>'
            f"<td>{_loc_link(path, where, sections)}</td><td>{_badges(rules)}</td>"
            f'<td class="desc">{desc}</td></tr>')


def _finding_rows(run: RunResult, specs, sections) -> _Rows:
    table = _Rows()
    for f in run.files:
        for x in f.findings:
            table.add(f.path, lambda number: _finding_row(number, f.path, x, specs, sections))
    return table


def _finding_row(number: int, path: str, x, specs, sections) -> str:
    name = specs[x.id].name if x.id in specs else ""
    return (f'<tr data-file="{attr(path)}" data-id="{attr(x.id)}"><td class="num">{number}</td>'
            f'<td><a class="fid" href="#id-{attr(_slug(x.id))}" title="{attr(name)}">{esc(x.id)}</a>'
            f'<div class="fname">{esc(name)}</div></td>'
            f"<td>{_loc_link(path, x, sections)}</td><td>{esc(_one_line(x.message))}</td>"
            f"<td>{esc(_one_line(x.suggestion))}</td></tr>")


def _skipped_rows(run: RunResult) -> _Rows:
    table = _Rows()
    for f in run.skipped:
        table.add(f.path, lambda number: (f'<tr data-file="{attr(f.path)}"><td class="num">{number}</td>'
                                          f'<td class="mono">{_path(f.path)}</td><td>{esc(_one_line(f.reason))}</td></tr>'))
    return table


def _table(section_id: str, title: str, head: list[str], table: _Rows, empty: str, notice: str = "") -> str:
    rows = table.shown
    out = [f'<section id="{section_id}"><h2>{title} <span class="count">{table.total}</span></h2>', notice]
    if rows:
        out.append(f'<div class="scroll"><table class="list"><thead><tr>{"".join(f"<th>{h}</th>" for h in head)}'
                   f'</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
                   '<p class="none" hidden>Nothing here matches the filters.</p>')
    else:
        out.append(f'<p class="muted">{empty}</p>')
    out.append("</section>")
    return "".join(out)


def _summary(run: RunResult, specs) -> str:
    s = run.summary
    files = s["files"]
    cards = [("scanned", "files scanned", files["scanned"]), ("converted", "converted", files["converted"]),
             ("unchanged", "unchanged", files["unchanged"]), ("copied", "copied", files["copied"]),
             ("linked", "symlinks", files["linked"]), ("skipped", "skipped", files["skipped"]),
             ("changes", f"changes on {s['changed_lines']} lines", s["changes"]),
             ("findings", "findings need a human", s["findings"])]
    if files.get("excluded"):  # left out by --include/--exclude; shown only when it happened
        cards.insert(6, ("excluded", "excluded", files["excluded"]))
    rate = s.get("conversion", {}).get("rate")
    if rate is None:
        cards.append(("rate", "no CUDA site found", "\u2014"))
    else:
        c = s["conversion"]
        cards.append(("rate", f"converted automatically ({c['automatic']} of {c['automatic'] + c['manual']} "
                      "sites; the rest need a human)", _percent(rate)))
    out = ['<section id="summary"><h2>Summary</h2><dl class="paths">',
           f'<dt>Input</dt><dd class="mono">{esc(run.input)}</dd>',
           f'<dt>Output</dt><dd class="mono">{esc(run.output)}</dd>',
           f'<dt>Target</dt><dd id="target">torch_mlu for PyTorch {esc(run.line)}</dd></dl><div class="cards">']
    for key, label, value in cards:
        warn = " warn" if key in ("skipped", "findings") and value else ""
        out.append(f'<div class="card{warn}" id="n-{key}"><b>{value}</b><span>{esc(label)}</span></div>')
    out.append('</div><div class="tables">')
    out.append('<table class="list small"><thead><tr><th>Kind</th><th>Files</th></tr></thead><tbody>')
    out += [f"<tr><td>{esc(kind)}</td><td class=\"num\">{n}</td></tr>" for kind, n in s["files_by_kind"].items()]
    out.append("</tbody></table>")
    if s["changes_by_rule"]:
        out.append('<table class="list small"><thead><tr><th>Rule</th><th>Changes</th></tr></thead><tbody>')
        out += [f'<tr id="rule-{attr(_slug(rule))}"><td>{badge(rule, title=True)}</td><td class="num">{n}</td></tr>'
                for rule, n in s["changes_by_rule"].items()]
        out.append("</tbody></table>")
    if s["findings_by_id"]:
        out.append('<table class="list small"><thead><tr><th>Finding</th><th>Name</th><th>Count</th></tr></thead><tbody>')
        for fid, n in s["findings_by_id"].items():
            name = specs[fid].name if fid in specs else ""
            out.append(f'<tr id="id-{attr(_slug(fid))}"><td><a class="fid" href="#findings" data-fid="{attr(fid)}" '
                       f'title="show only {attr(fid)}">{esc(fid)}</a></td><td>{esc(name)}</td><td class="num">{n}</td></tr>')
        out.append("</tbody></table>")
    out.append("</div></section>")
    return "".join(out)


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def _filters(run: RunResult, specs) -> str:
    s = run.summary
    rule_options = "".join(f'<option value="{attr(r)}">{esc(r)} ({n})</option>' for r, n in s["changes_by_rule"].items())
    id_options = "".join(
        f'<option value="{attr(fid)}">{esc(fid)} {esc(specs[fid].name) if fid in specs else ""} ({n})</option>'
        for fid, n in s["findings_by_id"].items())
    return ('<div id="filters" class="bar" hidden>'
            '<label>File <input id="q-file" type="search" placeholder="path contains\u2026" autocomplete="off"></label>'
            f'<label>Rule <select id="q-rule"><option value="">all rules</option>{rule_options}</select></label>'
            f'<label>Finding <select id="q-id"><option value="">all findings</option>{id_options}</select></label>'
            '<button type="button" id="q-reset">Reset</button>'
            '<span class="views" role="group" aria-label="diff view">'
            '<button type="button" id="v-uni" aria-pressed="true">Unified</button>'
            '<button type="button" id="v-sbs" aria-pressed="false">Side by side</button></span>'
            '<p id="q-count" aria-live="polite"></p></div>')


def _link(name: str) -> str:
    return f'<a href="{attr(name)}">{esc(name)}</a>'


def _links(run: RunResult) -> dict[str, str]:
    """Relative links to the reports written next to report.html, named as this run names them
    (gpu2mlu_report.md and so on when the project has files of those names)."""
    md = os.path.basename(run.report_md)
    prefix = md[: -len("report.md")] if md.endswith("report.md") else ""
    return {key: prefix + name for key, name in
            (("md", "report.md"), ("json", "report.json"), ("patch", "changes.patch"))}


def render(run: RunResult) -> str:
    if not run.summary:
        run.summary = summarize(run)
    specs = load_ruleset(run.line).findings
    links = _links(run)
    sections: dict[str, tuple[int, set[int]]] = {}
    diffs = []
    page = cap.page_allowance()
    for f in run.files:
        if f.changes:
            n = len(diffs) + 1
            anchors: set[int] = set()
            diffs.append(_file_section(n, f, anchors, page, links))
            sections[f.path] = (n, anchors)
    changes = _change_rows(run, sections)
    findings = _finding_rows(run, specs, sections)
    skipped = _skipped_rows(run)
    css, js = _asset("report.css"), _asset("report.js")
    csp = (f"default-src 'none'; script-src {_hash(js)}; style-src {_hash(css)}; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    name = os.path.basename(run.input.rstrip("/\\")) or run.input
    diff_intro = ('<p class="muted">Each changed file with 3 lines of context around its changes; a changed line names its rule family (click one to filter). '
                  '<span class="jsonly"><button type="button" id="d-open">Expand all</button> '
                  '<button type="button" id="d-close">Collapse all</button></span></p>')
    page = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{attr(csp)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        '<link rel="icon" href="data:,">',
        f"<title>gpu2mlu migration report: {esc(name)}</title>",
        f"<style>{css}</style></head><body><main>",
        '<header><h1>Cambricon PyTorch Model Migration Report</h1>',
        f'<p class="muted">gpu2mlu {esc(__version__)} \u00b7 target torch_mlu for PyTorch {esc(run.line)} \u00b7 '
        f"{esc(name)}</p>",
        '<nav><a href="#summary">Summary</a><a href="#findings">Needs manual attention</a>'
        '<a href="#skipped">Skipped files</a><a href="#diffs">Diffs</a><a href="#changes">All changes</a></nav>',
        "<noscript><p class=\"note\">JavaScript is off: everything is shown; filters and the side-by-side view "
        "need it.</p></noscript></header>",
        _summary(run, specs),
        _filters(run, specs),
        _table("findings", "Needs Manual Attention", ["No.", "ID", "File", "Message", "Suggestion"], findings,
               "Nothing: gpu2mlu found no code that needs a human.", findings.notice("findings", links)),
        _table("skipped", "Skipped Files", ["No.", "File", "Reason"], skipped,
               "None: every file was converted or copied.", skipped.notice("skipped files", links)),
        f'<section id="diffs"><h2>Diffs <span class="count">{len(diffs)}</span></h2>',
        diff_intro if diffs else '<p class="muted">No file changed.</p>',
        "".join(diffs),
        '<p class="none" hidden>No changed file matches the filters.</p></section>',
        _table("changes", "Cambricon PyTorch Changes", ["No.", "File", "Rule", "Description"], changes,
               "No change.", changes.notice("changed lines", links)),
        f'<footer class="muted">Written by gpu2mlu {esc(__version__)} in {run.wall_seconds:.2f} s. '
        "Self-contained: this page loads nothing from the network.</footer>",
        f"</main><script>{js}</script></body></html>",
    ]
    return "\n".join(page) + "\n"
