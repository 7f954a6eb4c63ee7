"""report.html without a browser: self-contained, escaped, complete, and small enough for big runs."""
import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest

from gpu2mlu.engine import migrate
from gpu2mlu.report import html as html_report
from gpu2mlu.report.model import RunResult, location, summarize
from gpu2mlu.results import CONVERTED, SKIPPED, Change, FileResult, Finding
from gpu2mlu.rules import load_ruleset

from tests.test_cli import make_tree

# Tags the page is made of; anything else in the output came from input text.
ALLOWED_TAGS = {"html", "head", "meta", "link", "title", "style", "body", "main", "header", "h1", "h2", "p",
                "nav", "a", "noscript", "section", "dl", "dt", "dd", "div", "span", "b", "table", "thead",
                "tbody", "tr", "th", "td", "label", "input", "select", "option", "button", "details",
                "summary", "code", "mark", "wbr", "footer", "script"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.content = []  # text and child nodes, in document order

    @property
    def children(self):
        return [c for c in self.content if isinstance(c, Node)]

    def classes(self):
        return set((self.attrs.get("class") or "").split())

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def all_text(self):
        return "".join(c if isinstance(c, str) else c.all_text() for c in self.content)

    def ancestor(self, tag, **attrs):
        node = self.parent
        while node is not None:
            if node.tag == tag and all(node.attrs.get(k) == v for k, v in attrs.items()):
                return node
            node = node.parent
        return None


class Page(HTMLParser):
    """A small DOM: enough to find rows, cells, attributes and the text a browser would show."""
    VOID = {"meta", "link", "input", "wbr", "br", "img"}
    # end tags the page leaves out: a cell ends at the next cell or row, a row at the next row
    IMPLIED_END = {"td": ("td", "th"), "th": ("td", "th"), "tr": ("td", "th", "tr")}

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.current = self.root
        self.tags = []
        self.scripts, self.styles = [], []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        closes = self.IMPLIED_END.get(tag, ())
        while self.current.tag in closes:
            self.current = self.current.parent
        node = Node(tag, attrs, self.current)
        self.current.content.append(node)
        if tag not in self.VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.content.append(data)
        if self.current.tag == "script":
            self.scripts.append(data)
        if self.current.tag == "style":
            self.styles.append(data)

    def find(self, pred):
        return [n for n in self.root.walk() if pred(n)]

    def by_id(self, element_id):
        [node] = self.find(lambda n: n.attrs.get("id") == element_id)
        return node

    def rows(self, section_id):
        section = self.by_id(section_id)
        return [n for n in section.walk() if n.tag == "tr" and n.ancestor("tbody")]

    def diff_lines(self, path):
        [section] = self.find(lambda n: n.tag == "section" and n.attrs.get("data-file") == path)
        return [n for n in section.walk() if "l" in n.classes() and "uni" in n.parent.classes()]


def cells(row):
    return [c for c in row.children if c.tag == "td"]


def line_code(node):
    """The code a diff line shows: its text without the rule badges."""
    return "".join(c if isinstance(c, str) else c.all_text() for c in node.content
                   if isinstance(c, str) or "rl" not in c.classes())


@pytest.fixture
def project(tmp_path):
    return make_tree(tmp_path / "proj", {
        "train.py": ("import torch\nimport torch.nn as nn\n\nmodel = nn.Linear(2, 2).cuda()\n"
                     "device = torch.device('cuda')\nx = torch.randn(2, 2).to(device)\n"
                     "torch.cuda.synchronize()\nnet = nn.DataParallel(model)\n"),
        "utils/data.py": "import torch\n\n\ndef batch(x):\n    return x.cuda(non_blocking=True)\n",
        "crlf.py": "import torch\r\nx = torch.zeros(2).cuda()",
        "broken.py": "import torch\ndef (:\n    torch.cuda.synchronize()\n",
        "README.md": "Train on CUDA.\n",
    })


@pytest.fixture
def run(project, tmp_path):
    return migrate(project, tmp_path / "out", keep_text=True)


def test_self_contained_and_locked_down(run):
    text = html_report.render(run)
    page = Page(text)
    for tag, attrs in page.tags:
        for key in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(key)
            if value is not None and key in ("src", "href"):
                assert value.startswith(("#", "data:")), (tag, key, value)
            elif value is not None:
                assert key == "data", (tag, key, value)
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", text, re.I)
    assert "@import" not in text and "url(" not in text
    # the Content-Security-Policy names exactly the inline script and style, by hash
    [csp] = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    [script], [style] = page.scripts, page.styles

    def digest(s):
        return "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
    assert f"script-src {digest(script)};" in csp and f"style-src {digest(style)};" in csp
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert sum(1 for t, a in page.tags if t == "script") == 1 and "src" not in [a for t, a in page.tags if t == "script"][0]


def test_summary_shows_the_run(run):
    page = Page(html_report.render(run))
    s = run.summary
    number = lambda key: page.by_id(f"n-{key}").children[0].all_text()  # noqa: E731
    assert number("scanned") == str(s["files"]["scanned"]) == "5"
    assert number("converted") == str(s["files"]["converted"])
    assert number("skipped") == "1"
    assert number("changes") == str(s["changes"]) and number("findings") == str(s["findings"])
    assert page.by_id("target").all_text() == f"torch_mlu for PyTorch {run.line}"
    summary = page.by_id("summary").all_text()
    assert run.input in summary and run.output in summary
    for kind, n in s["files_by_kind"].items():
        assert f"{kind}{n}" in summary
    for rule, n in s["changes_by_rule"].items():
        assert page.by_id(f"rule-{rule}").all_text() == f"{rule}{n}"
    specs = load_ruleset(run.line).findings
    for fid, n in s["findings_by_id"].items():
        assert page.by_id(f"id-{fid}").all_text() == f"{fid}{specs[fid].name}{n}"


def test_conversion_rate_in_the_summary_and_per_file(run, tmp_path):
    page = Page(html_report.render(run))
    c = run.summary["conversion"]
    assert c["automatic"] > 0 and c["manual"] > 0
    card = page.by_id("n-rate").all_text()
    assert card.startswith(f"{c['rate'] * 100:.1f}%")
    assert f"({c['automatic']} of {c['automatic'] + c['manual']} sites" in card
    # train.py: 3 changed lines (the added import not counted) and the DataParallel finding
    [train] = page.find(lambda n: n.tag == "section" and n.attrs.get("data-file") == "train.py")
    assert "75.0% automatic" in train.all_text()
    # no CUDA site at all: a dash, never a made-up rate
    quiet = migrate(make_tree(tmp_path / "q", {"a.py": "x = 1\n"}), tmp_path / "q_out", keep_text=True)
    assert Page(html_report.render(quiet)).by_id("n-rate").all_text() == "\u2014no CUDA site found"


def test_every_change_finding_and_skipped_file_is_listed(run):
    page = Page(html_report.render(run))
    rows = page.rows("changes")
    expected = []
    for f in run.files:
        for c in f.changes:
            desc = f'add {c.after}' if c.added else f'change {c.before} to {c.after}'
            item = (f.path, location(f.path, c), desc)
            if item not in expected:
                expected.append(item)
    shown = [(r.attrs["data-file"], cells(r)[1].all_text(), cells(r)[3].all_text()) for r in rows]
    assert shown == expected
    # every rule of a changed line is on its row
    for f in run.files:
        for c in f.changes:
            [row] = [r for r in rows if r.attrs["data-file"] == f.path and cells(r)[1].all_text() == location(f.path, c)
                     and c.after in cells(r)[3].all_text()]
            assert c.rule in row.attrs["data-r"].split()
    specs = load_ruleset(run.line).findings
    findings = [(f.path, x) for f in run.files for x in f.findings]
    assert findings, "the project should give findings"
    found = [[c.all_text() for c in cells(r)] for r in page.rows("findings")]
    assert found == [[str(i), x.id + specs[x.id].name, location(path, x), x.message, x.suggestion]
                     for i, (path, x) in enumerate(findings, 1)]
    for r in page.rows("findings"):
        [link] = [n for n in r.walk() if n.tag == "a" and "fid" in n.classes()]
        assert link.attrs["href"] == f"#id-{r.attrs['data-id']}"
        page.by_id(link.attrs["href"][1:])  # the anchor exists
    skipped = [[c.all_text() for c in cells(r)] for r in page.rows("skipped")]
    assert skipped == [["1", "broken.py", run.skipped[0].reason]]


def test_a_diff_per_changed_file_with_rules_on_its_lines(run):
    page = Page(html_report.render(run))
    changed = [f for f in run.files if f.status == CONVERTED]
    sections = page.find(lambda n: n.tag == "section" and "file" in n.classes())
    assert [s.attrs["data-file"] for s in sections] == [f.path for f in changed]
    lines = {(line.attrs.get("class"), line_code(line)): line.attrs.get("data-r", "")
             for line in page.diff_lines("train.py")}
    assert lines[("l a", "import torch_mlu")] == "import-torch-mlu"
    assert lines[("l d", "model = nn.Linear(2, 2).cuda()")] == "tensor-cuda-method"
    assert lines[("l a", "model = nn.Linear(2, 2).mlu()")] == "tensor-cuda-method"
    assert lines[("l d", "device = torch.device('cuda')")] == "device-literal"
    assert lines[("l d", "torch.cuda.synchronize()")] == "torch-cuda-api"
    assert lines[("l", "import torch.nn as nn")] == ""  # context
    for line in page.diff_lines("train.py"):
        if line.attrs.get("class") in ("l d", "l a"):
            badges = [a.all_text() for a in line.walk() if a.tag == "a" and "b" in a.classes()]
            assert badges == line.attrs["data-r"].split()
            assert all(a.attrs["href"].startswith("#rule-") for a in line.walk() if a.tag == "a")
    # numbers: old and new line of each line, as the change rows count them
    [removed] = [line for line in page.diff_lines("train.py") if line_code(line) == "model = nn.Linear(2, 2).cuda()"]
    assert removed.attrs["data-o"] == "4" and "data-n" not in removed.attrs
    # a change row links to its line in the diff
    [row] = [r for r in page.rows("changes") if cells(r)[1].all_text() == "train.py:4"]
    [link] = [n for n in cells(row)[1].walk() if n.tag == "a"]
    assert page.by_id(link.attrs["href"][1:]) is removed


def test_crlf_and_missing_final_newline_in_the_diff(run):
    page = Page(html_report.render(run))
    lines = page.diff_lines("crlf.py")
    assert [(line_code(line), line.attrs.get("data-r")) for line in lines] == [
        ("@@ -1,2 +1,3 @@", None), ("import torch", None),
        ("x = torch.zeros(2).cuda()", "tensor-cuda-method"), ("\\ No newline at end of file", None),
        ("import torch_mlu", "import-torch-mlu"), ("x = torch.zeros(2).mlu()", "tensor-cuda-method"),
        ("\\ No newline at end of file", None)]
    [section] = page.find(lambda n: n.tag == "section" and n.attrs.get("data-file") == "crlf.py")
    assert "CRLF" in section.all_text()


HOSTILE_NAME = 'x"><img src=x onerror=alert(1)>.py'
HOSTILE_CODE = ("import torch\n"
                "s = '</script><script>alert(1)</script>'\n"
                "t = '<img src=x onerror=alert(2)>'; m = model.cuda()  # <!-- --> &amp; \u202e\n"
                "u = '</style><style>body{display:none}</style>'\n")


def test_hostile_paths_and_code_are_escaped(tmp_path):
    src = make_tree(tmp_path / "proj", {HOSTILE_NAME: HOSTILE_CODE, "ok.py": "x = x.cuda()\n"})
    run = migrate(src, tmp_path / "out", keep_text=True)
    # a skipped file and a finding whose texts are hostile too
    run.files.append(FileResult("</td><b>bad</b>.py", SKIPPED, reason="<script>alert(3)</script>", kind="python"))
    run.files[0].findings.append(Finding(3, "GM201", "<img src=y onerror=alert(4)>", "</textarea>&"))
    run.summary = summarize(run)
    text = html_report.render(run)
    for raw in ("<img", "<script>alert", "</script><script>", "</style><style>", "<b>bad", "<!-- -->", "\u202e"):
        assert raw not in text
    page = Page(text)
    assert {tag for tag, _ in page.tags} <= ALLOWED_TAGS
    assert len(page.scripts) == 1 and len(page.styles) == 1
    # every text comes back unchanged through an HTML parser
    assert HOSTILE_NAME in [s.attrs.get("data-file") for s in page.find(lambda n: n.tag == "section")]
    codes = [line_code(line) for line in page.diff_lines(HOSTILE_NAME)]
    assert "s = '</script><script>alert(1)</script>'" in codes
    assert "u = '</style><style>body{display:none}</style>'" in codes
    assert any(c.startswith("t = '<img src=x onerror=alert(2)>'; m = model.mlu()  # <!-- --> &amp; ") for c in codes)
    # the bidi override is shown, not obeyed
    [marker] = page.find(lambda n: "ctl" in n.classes() and n.ancestor("div") is not None and "l" in n.ancestor("div").classes()
                         and "a" in n.ancestor("div").classes())
    assert marker.attrs["title"] == "U+202E"
    assert [c.all_text() for c in cells(page.rows("skipped")[0])][1:] == ["</td><b>bad</b>.py", "<script>alert(3)</script>"]
    assert [cells(r)[3].all_text() for r in page.rows("findings")][0] == "<img src=y onerror=alert(4)>"


def test_without_javascript_everything_is_shown(run):
    page = Page(html_report.render(run))
    hidden = page.find(lambda n: "hidden" in n.attrs)
    assert {n.attrs.get("id") or n.attrs.get("class") for n in hidden} == {"filters", "none"}
    assert all("open" in d.attrs for d in page.find(lambda n: n.tag == "details"))
    assert page.find(lambda n: n.tag == "noscript")


def test_empty_run(tmp_path):
    src = make_tree(tmp_path / "proj", {"plain.py": "x = 1\n", "notes.txt": "hello\n"})
    run = migrate(src, tmp_path / "out", keep_text=True)
    page = Page(html_report.render(run))
    assert "No file changed." in page.by_id("diffs").all_text()
    assert "Nothing: gpu2mlu found no code that needs a human." in page.by_id("findings").all_text()
    assert "None: every file was converted or copied." in page.by_id("skipped").all_text()


def test_a_run_without_kept_text_still_renders(project, tmp_path):
    run = migrate(project, tmp_path / "out", keep_text=False)
    page = Page(html_report.render(run))
    assert page.rows("changes") and "No diff" in page.by_id("diffs").all_text()


def big_run(n_files, lines=300, changed=(20, 150, 280)):
    files = []
    for i in range(n_files):
        body = [f"    value_{k} = compute(value_{k - 1})  # step {k}\n" for k in range(lines)]
        for k in changed:
            body[k] = body[k].replace("compute", "x.cuda")
        before = "".join(body)
        changes = [Change(k + 1, "tensor-cuda-method", body[k].strip(), body[k].strip().replace("cuda", "mlu"))
                   for k in changed]
        files.append(FileResult(f"pkg{i // 100}/module_{i}.py", CONVERTED, changes,
                                [Finding(changed[0] + 1, "GM201", "message", "suggestion")], kind="python",
                                before=before, after=before.replace("x.cuda", "x.mlu")))
    run = RunResult("/in", "/out", "2.4", files)
    run.summary = summarize(run)
    return run


def test_large_runs_stay_small():
    run = big_run(1000)
    text = html_report.render(run)
    changes = 3 * 1000
    # each change: a hunk of 3+1+1+3 lines, a row in the change table; a finding row per file
    assert len(text.encode()) < 2200 * changes, len(text) / changes
    page_lines = text.count('<div class="l')
    assert page_lines == 1000 * 3 * 9  # 3 hunks of header + 3 context + 2 changed + 3 context per file


def test_context_is_limited_to_three_lines():
    run = big_run(1, lines=5000, changed=(2500,))
    page = Page(html_report.render(run))
    codes = [line_code(line) for line in page.diff_lines("pkg0/module_0.py")]
    assert codes[0] == "@@ -2498,7 +2498,7 @@" and len(codes) == 9


def test_notebook_lines_get_their_rules_by_text():
    """Notebook rows count lines within a cell; the diff is of the notebook's JSON."""
    before = '{\n "cells": [\n  {\n   "source": [\n    "d = torch.device(\\"cuda\\")\\n",\n    "x = x.cuda()"\n   ]\n  }\n ]\n}\n'
    after = before.replace('\\"cuda\\"', '\\"mlu\\"').replace("x.cuda()", "x.mlu()")
    f = FileResult("nb.ipynb", CONVERTED, [
        Change(1, "device-literal", 'd = torch.device("cuda")', 'd = torch.device("mlu")', cell=1),
        Change(2, "tensor-cuda-method", "x = x.cuda()", "x = x.mlu()", cell=1)], kind="notebook",
        before=before, after=after)
    run = RunResult("/in", "/out", "2.4", [f])
    page = Page(html_report.render(run))
    rules = {line_code(line).strip(): line.attrs.get("data-r") for line in page.diff_lines("nb.ipynb")
             if line.attrs.get("class") in ("l d", "l a")}
    assert rules == {'"d = torch.device(\\"cuda\\")\\n",': "device-literal",
                     '"d = torch.device(\\"mlu\\")\\n",': "device-literal",
                     '"x = x.cuda()"': "tensor-cuda-method", '"x = x.mlu()"': "tensor-cuda-method"}
    [row] = [r for r in page.rows("changes") if cells(r)[1].all_text() == "nb.ipynb:cell 1:line 2"]
    [link] = [n for n in cells(row)[1].walk() if n.tag == "a"]
    assert link.attrs["href"] == "#f1"  # the cell's line is not a line of the file: link to the file


# --- what the page inlines: bounded per file and per page (gpu2mlu.report.cap) ----------------

_HUGE_LINES = ("x = torch.cuda.FloatTensor(3)\n", "y = t.cuda()\n", "w = a + b\n")
_HUGE_RULES = ("device-literal", "tensor-cuda-method", None)


def huge_file(path="big.py", blocks=3000):
    """Two lines of every three changed: one hunk of thousands of changed lines."""
    before = "".join(_HUGE_LINES * blocks)
    changes = [Change(3 * k + i + 1, rule, text.strip(), text.strip().replace("cuda", "mlu"))
               for k in range(blocks) for i, (text, rule) in enumerate(zip(_HUGE_LINES, _HUGE_RULES)) if rule]
    return FileResult(path, CONVERTED, changes, [], kind="python", before=before, after=before.replace("cuda", "mlu"))


def section_text(page, path):
    [section] = page.find(lambda n: n.tag == "section" and n.attrs.get("data-file") == path)
    return section


def test_a_file_over_the_cap_is_cut_with_a_notice_and_a_link():
    small = big_run(1).files[0]
    run = RunResult("/in", "/out", "2.4", [huge_file(), small])
    run.summary = summarize(run)
    page = Page(html_report.render(run))
    lines = page.diff_lines("big.py")
    code = [n for n in lines if n.attrs.get("class") != "l h"]
    assert len(code) == html_report.cap.FILE_DIFF_LINES
    shown = [n for n in code if n.attrs.get("class") in ("l d", "l a")]
    # both sides of the giant changed run show, each line with its rule
    removed = [line_code(n) for n in shown if n.attrs["class"] == "l d"]
    added = [line_code(n) for n in shown if n.attrs["class"] == "l a"]
    assert removed[:2] == ["x = torch.cuda.FloatTensor(3)", "y = t.cuda()"]
    assert added[:2] == ["x = torch.mlu.FloatTensor(3)", "y = t.mlu()"]
    assert all(n.attrs.get("data-r") for n in shown if "w = a + b" not in line_code(n))
    total = 2 * 6000  # the "w = a + b" lines stay as context
    section = section_text(page, "big.py")
    text = " ".join(section.all_text().split())
    assert f"+{total // 2}" in text and f"\u2212{total // 2}" in text  # the header counts the whole diff
    assert f"{total - len(shown):,} more changed lines not shown" in text and "see changes.patch" in text
    [link] = [n for n in section.walk() if n.tag == "a" and n.attrs.get("href") == "changes.patch"]
    # the small file is complete: no notice, every line of its three hunks
    assert "not shown" not in section_text(page, "pkg0/module_0.py").all_text()
    assert len(page.diff_lines("pkg0/module_0.py")) == 3 * 9
    hrefs = {a.get("href") for t, a in page.tags if a.get("href")}
    assert {h for h in hrefs if not h.startswith(("#", "data:"))} == {"changes.patch", "report.md", "report.json"}


def test_table_rows_are_capped_per_file_and_numbered_as_in_report_md():
    small = big_run(1).files[0]
    run = RunResult("/in", "/out", "2.4", [huge_file(), small])
    run.summary = summarize(run)
    page = Page(html_report.render(run))
    rows = page.rows("changes")
    big_rows = [r for r in rows if r.attrs["data-file"] == "big.py"]
    assert len(big_rows) == html_report.cap.FILE_ROWS
    small_numbers = [cells(r)[0].all_text() for r in rows if r.attrs["data-file"] != "big.py"]
    assert small_numbers == ["6001", "6002", "6003"]  # big.py has 6,000 rows in report.md
    section = page.by_id("changes")
    text = " ".join(section.all_text().split())
    assert "6003" in page.by_id("changes").children[0].all_text()  # the heading counts every row
    assert "This page lists 1,003 of the 6,003 changed lines" in text
    assert "report.md and report.json, next to this page, list them all" in text and "big.py (5,000 more)" in text
    hrefs = [n.attrs["href"] for n in section.walk() if n.tag == "a" and not n.attrs["href"].startswith("#")]
    assert hrefs == ["report.md", "report.json"]


def test_a_complete_run_says_nothing_is_cut(run):
    text = html_report.render(run)
    assert "not shown" not in text and "This page lists" not in text and 'class="note cut"' not in text


def test_links_follow_the_report_names_of_the_run():
    run = RunResult("/in", "/out", "2.4", [huge_file()])
    run.summary = summarize(run)
    run.report_md = "/out/gpu2mlu_report.md"  # the project had its own report.md
    page = Page(html_report.render(run))
    hrefs = {a.get("href") for t, a in page.tags if a.get("href") and not a["href"].startswith(("#", "data:"))}
    assert hrefs == {"gpu2mlu_changes.patch", "gpu2mlu_report.md", "gpu2mlu_report.json"}


def test_a_huge_run_gives_a_page_of_a_few_megabytes():
    """24 files of 4,000 changed lines each: more than the page shows, per file and in all."""
    run = RunResult("/in", "/out", "2.4", [huge_file(f"pkg/big_{i}.py", blocks=2000) for i in range(24)])
    run.summary = summarize(run)
    text = html_report.render(run)
    cap = html_report.cap
    assert text.count('<div class="l') - text.count('<div class="l h"') == cap.PAGE_DIFF_LINES
    assert text.count("<tr data-file=") == cap.PAGE_ROWS
    assert len(text.encode()) < 12_000_000, len(text.encode())
    # every file keeps its section (the filters and the links from the tables need it), with a notice;
    # the first 20 use up the page's diff lines, those after them show none
    sections = text.split('<section class="file"')[1:]
    assert len(sections) == 24
    assert all("more changed lines not shown" in s for s in sections)
    shown = [s.count('<div class="l') - s.count('<div class="l h"') for s in sections]
    assert shown == [cap.FILE_DIFF_LINES] * 20 + [0] * 4


def test_one_huge_file_gives_a_page_under_a_megabyte():
    run = RunResult("/in", "/out", "2.4", [huge_file(blocks=25000)])  # 1 MB, 50,000 changes
    run.summary = summarize(run)
    assert len(html_report.render(run).encode()) < 1_000_000


def test_sections_name_their_rules_and_findings_for_the_filters():
    f = huge_file(blocks=1000)
    f.findings = [Finding(1, "GM201", "message", "suggestion")]
    run = RunResult("/in", "/out", "2.4", [f])
    run.summary = summarize(run)
    [section] = Page(html_report.render(run)).find(lambda n: n.tag == "section" and "file" in n.classes())
    assert section.attrs["data-r"] == "device-literal tensor-cuda-method" and section.attrs["data-ids"] == "GM201"
