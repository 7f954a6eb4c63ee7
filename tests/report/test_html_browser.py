"""report.html in a real browser: headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

Skips when either is missing, unless GPU2MLU_REQUIRE_BROWSER=1 (as in CI): then that is a failure.
Screenshots go to $GPU2MLU_SCREENSHOT_DIR when set, else to the test's tmp_path.
"""
import os
import struct
from collections import Counter
from pathlib import Path

import pytest

from gpu2mlu.engine import migrate
from gpu2mlu.report import html as html_report

from tests.test_cli import make_tree

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def missing_piece():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[browser]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = missing_piece()
    if reason:
        if os.environ.get("GPU2MLU_REQUIRE_BROWSER") == "1":
            pytest.fail(f"GPU2MLU_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


PROJECT = {
    "train.py": ("import torch\nimport torch.nn as nn\n\nfrom utils.data import batch\n\n"
                 "model = nn.Linear(2, 2).cuda()\ndevice = torch.device('cuda')\n"
                 "x = torch.randn(2, 2).to(device)\ntorch.cuda.synchronize()\n"
                 "net = nn.DataParallel(model)\n"),
    "utils/data.py": "import torch\n\n\ndef batch(x):\n    return x.cuda(non_blocking=True)\n",
    "eval.py": ("import torch\n" + "".join(f"step_{i} = {i}\n" for i in range(12))
                + "if torch.cuda.is_available():\n    torch.cuda.empty_cache()\nmodel = model.to('cuda:0')\n"),
    "broken.py": "import torch\ndef (:\n    torch.cuda.synchronize()\n",
    # escaping, end to end: nothing in a path or in code may run
    'x"><img src=x onerror=alert(1)>.py': "s = '</script><script>alert(2)</script>'\nm = m.cuda()\n",
    "README.md": "Train on CUDA.\n",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    run = migrate(make_tree(root / "proj", PROJECT), root / "proj_mlu", keep_text=True)
    path = root / "report.html"
    path.write_text(html_report.render(run), encoding="utf-8")
    return run, path


def screenshot_path(tmp_path, name):
    folder = Path(os.environ.get("GPU2MLU_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def assert_png(path, width):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    png_width, png_height = struct.unpack(">II", data[16:24])
    assert png_width == width and png_height > 600
    assert len(data) > 30_000  # a page with text and colour, not a blank image


def shown(page, selector):
    return page.locator(f"{selector} >> visible=true").count()


def open_report(browser, path, **options):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, **options)
    problems, requests = [], []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.goto(path.as_uri())
    return page, problems, requests


def test_report_renders_filters_and_switches_views(browser, report, tmp_path):
    run, path = report
    page, problems, requests = open_report(browser, path)
    s = run.summary
    changed = [f for f in run.files if f.changes]
    rows_by_file = Counter()
    rules_by_row = []
    for f in changed:
        seen = {}
        for c in f.changes:
            seen.setdefault((c.cell, c.line, c.added, c.before, c.after), set()).add(c.rule)
        rows_by_file[f.path] = len(seen)
        rules_by_row += [(f.path, rules) for rules in seen.values()]
    n_rows = len(rules_by_row)
    findings = [(f.path, x.id) for f in run.files for x in f.findings]
    assert findings and run.skipped and len(changed) == 4

    assert page.title() == "gpu2mlu migration report: proj"
    assert page.locator("#n-changes b").inner_text() == str(s["changes"])
    assert page.locator("#n-findings b").inner_text() == str(s["findings"])
    assert page.locator("#n-skipped b").inner_text() == "1"
    assert page.locator("#target").inner_text() == f"torch_mlu for PyTorch {run.line}"
    assert page.locator("#filters").is_visible()
    count = page.locator("#q-count")
    assert count.inner_text() == (f"All shown: 4 of 4 changed files \u00b7 {n_rows} of {n_rows} changed lines \u00b7 "
                                  f"{len(findings)} of {len(findings)} findings \u00b7 1 of 1 skipped files")
    assert shown(page, "section.file") == 4 and shown(page, "#changes tbody tr") == n_rows

    # by file: a path fragment
    page.fill("#q-file", "utils/")
    assert shown(page, "section.file") == 1
    assert page.locator("section.file >> visible=true").get_attribute("data-file") == "utils/data.py"
    assert shown(page, "#changes tbody tr") == rows_by_file["utils/data.py"]
    assert shown(page, "#findings tbody tr") == sum(p == "utils/data.py" for p, _ in findings)
    assert shown(page, "#skipped tbody tr") == 0 and page.locator("#skipped p.none").is_visible()
    assert count.inner_text().startswith(f"Showing 1 of 4 changed files \u00b7 {rows_by_file['utils/data.py']} of {n_rows}")
    page.fill("#q-file", "broken")
    assert shown(page, "section.file") == 0 and shown(page, "#skipped tbody tr") == 1
    page.click("#q-reset")
    assert shown(page, "section.file") == 4 and page.locator("#q-file").input_value() == ""
    page.fill("#q-file", "<IMG")  # case-insensitive, and the path is data, not markup
    assert page.locator("section.file >> visible=true").get_attribute("data-file") == 'x"><img src=x onerror=alert(1)>.py'
    page.click("#q-reset")

    # by rule
    page.select_option("#q-rule", "device-literal")
    expected = [p for p, rules in rules_by_row if "device-literal" in rules]
    assert shown(page, "#changes tbody tr") == len(expected) > 0
    for row in page.locator("#changes tbody tr >> visible=true").all():
        assert "device-literal" in row.get_attribute("data-r").split()
    assert shown(page, "section.file") == len(set(expected))
    assert shown(page, ".diff .l.hit") == shown(page, '.diff .l[data-r~="device-literal"]') > 0
    page.click("#q-reset")

    # by finding ID
    fid = findings[0][1]
    page.select_option("#q-id", fid)
    assert shown(page, "#findings tbody tr") == sum(i == fid for _, i in findings)
    assert shown(page, "section.file") == len({p for p, i in findings if i == fid})
    page.click("#q-reset")

    # a rule badge in a diff is a filter too; a second click clears it
    badge = page.locator('.diff.uni .l.a a.b >> text="tensor-cuda-method"').first
    badge.click()
    assert page.locator("#q-rule").input_value() == "tensor-cuda-method"
    assert shown(page, "#changes tbody tr") == sum("tensor-cuda-method" in r for _, r in rules_by_row)
    badge.click()
    assert page.locator("#q-rule").input_value() == ""
    assert shown(page, "#changes tbody tr") == n_rows

    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot_path(tmp_path, "report-unified.png")), full_page=True)

    # side by side: removed and added lines face each other, numbered on their own side
    page.click("#v-sbs")
    assert shown(page, ".diff.sbs") == 4 and shown(page, ".diff.uni") == 0
    assert page.locator("#v-sbs").get_attribute("aria-pressed") == "true"
    train = page.locator('section.file[data-file="train.py"] .diff.sbs')
    removed = train.locator('.l.d:has-text("model = nn.Linear(2, 2).cuda()")')
    assert removed.get_attribute("data-n") == "6"
    facing = removed.evaluate("e => [e.nextElementSibling.className, e.nextElementSibling.textContent, "
                              "e.nextElementSibling.getAttribute('data-n'), e.nextElementSibling.nextElementSibling.textContent]")
    assert facing == ["l a rt", "model = nn.Linear(2, 2).mlu()", "7", "tensor-cuda-method"]
    # a change row's link still lands on its line
    page.locator('#changes a[href^="#f"] >> text="train.py:6"').click()
    assert page.evaluate("location.hash") == page.locator('#changes a >> text="train.py:6"').get_attribute("href")
    target = page.locator(":target")
    assert target.count() == 1 and target.is_visible() and "model = nn.Linear(2, 2).cuda()" in target.inner_text()
    page.locator("#filters").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, document.getElementById('diffs').offsetTop - 80)")
    shot = screenshot_path(tmp_path, "report-side-by-side.png")
    page.screenshot(path=str(shot))
    assert_png(shot, 1280)
    page.click("#v-uni")
    assert shown(page, ".diff.uni") == 4 and shown(page, ".diff.sbs") == 0

    assert page.locator("img").count() == 0 and page.locator("script").count() == 1
    assert "s = '</script><script>alert(2)</script>'" in page.locator("#diffs").inner_text()
    assert problems == []
    assert set(requests) == {path.as_uri()}, requests  # nothing but the page itself
    page.close()
    assert_png(screenshot_path(tmp_path, "report-unified.png"), 1280)


def test_dark_scheme_and_no_javascript(browser, report, tmp_path):
    run, path = report
    page, problems, requests = open_report(browser, path, color_scheme="dark", java_script_enabled=False)
    assert not page.locator("#filters").is_visible()
    assert shown(page, "section.file") == 4
    assert shown(page, "#changes tbody tr") == page.locator("#changes tbody tr").count()
    assert page.locator("noscript").count() == 1
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(13, 17, 23)"
    shot = screenshot_path(tmp_path, "report-dark-nojs.png")
    page.screenshot(path=str(shot))
    assert_png(shot, 1280)
    assert problems == [] and set(requests) == {path.as_uri()}
    page.close()
