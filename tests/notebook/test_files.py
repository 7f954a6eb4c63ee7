"""Whole files: what is not a convertible notebook, the trigger gate, escapes, and the command."""
import json

import pytest

from gpu2mlu.cli import main
from gpu2mlu.kinds import NOTEBOOK, TRIGGERS, Unconvertible
from gpu2mlu.notebook.escapes import EscapeStyle, raw_chars
from gpu2mlu.results import SKIPPED, UNCHANGED
from gpu2mlu.rules import load_ruleset
from gpu2mlu.settings import Settings
from gpu2mlu.tree import convert_bytes
from tests.notebook.helpers import code, convert, lines, markdown, notebook, sources


@pytest.mark.parametrize("text, reason", [
    pytest.param('{"cells": [', "not valid JSON", id="truncated"),
    pytest.param("import torch\n", "not valid JSON", id="python"),
    pytest.param("[1, 2]", "not a Jupyter notebook", id="list"),
    pytest.param('{"nbformat": 4}', "not a Jupyter notebook", id="no-cells"),
    pytest.param(json.dumps({"worksheets": [{"cells": []}], "cells": [], "metadata": {}, "nbformat": 3}), "nbformat 3", id="v3"),
    pytest.param(json.dumps({"cells": [{"cell_type": "code", "source": 5}], "metadata": {}, "nbformat": 4}),
                 "malformed cells", id="bad-source"),
    pytest.param(json.dumps({"cells": [{"source": "x.cuda()"}], "metadata": {}, "nbformat": 4}), "malformed cells", id="no-type"),
    pytest.param(json.dumps(notebook(code("x.cuda()"), metadata={"kernelspec": {"language": "julia"}})), "julia", id="julia"),
    pytest.param(json.dumps(notebook(code("x.cuda()"), metadata={"language_info": {"name": "R"}})), "R notebook", id="r"),
])
def test_not_a_convertible_notebook(text, reason):
    with pytest.raises(Unconvertible, match=reason):
        convert(text)


def test_invalid_notebook_is_copied_and_listed_as_skipped():
    data = b'{"cells": [{"cell_type": "code", "source": "x.cuda()"'
    result, out = convert_bytes("nb.ipynb", NOTEBOOK, data, Settings(target="2.4"), {})
    assert (result.status, out) == (SKIPPED, data)
    assert "not valid JSON" in result.reason


def test_a_notebook_without_trigger_words_is_not_even_decoded():
    data = json.dumps(notebook(code("import pandas as pd\n")), indent=1).encode() + b"\xff"  # not UTF-8
    result, out = convert_bytes("nb.ipynb", NOTEBOOK, data, Settings(target="2.4"), {})
    assert (result.status, out) == (UNCHANGED, data)


def test_the_gate_knows_every_rule_name():
    rules = load_ruleset("2.4")
    names = [*rules.env, *rules.packages, "nvidia-smi", "nvcc", "--gpus", "import torch"]
    assert [n for n in names if not TRIGGERS[NOTEBOOK].search(n.encode())] == []


def test_json_string_escapes_round_trip():
    value = 'a"\\/\n\t\x01é€😀\x7f'
    for ascii_style in (True, False):
        token = json.dumps(value, ensure_ascii=ascii_style)
        assert '"' + EscapeStyle(ascii=ascii_style).encode(value) + '"' == token
        assert "".join(raw_chars(token, value)) == token[1:-1]
    assert EscapeStyle(ascii=True, upper=True, slash=True).encode("é/😀") == "\\u00E9\\/\\uD83D\\uDE00"


@pytest.mark.parametrize("text, style", [
    (json.dumps({"a": "é"}), EscapeStyle(ascii=True)),
    (json.dumps({"a": "é"}, ensure_ascii=False), EscapeStyle()),
    ('{"a": "\\u00C9 \\/"}', EscapeStyle(ascii=True, slash=True, upper=True)),
    ('{"a": "\\\\u00e9 \\\\/"}', EscapeStyle()),  # escaped backslashes, not escapes
])
def test_escape_style_is_read_from_the_text(text, style):
    assert EscapeStyle.of(text) == style


@pytest.mark.parametrize("separators", [(",", ":"), (", ", ": ")])
def test_new_list_item_in_a_one_line_notebook_uses_its_separator(separators):
    nb = notebook(code(["import torch\n"]))
    result = convert(json.dumps(nb, separators=separators))
    nb["cells"][0]["source"].append("import torch_mlu\n")
    assert result.text == json.dumps(nb, separators=separators)


def test_new_list_item_follows_its_neighbours_indentation():
    text = ('{\n  "cells": [\n    {\n      "cell_type": "code",\n      "metadata": {},\n      "outputs": [],\n'
            '      "source": [\n          "import torch\\n",\n          "x.cuda()"\n      ]\n    }\n  ],\n'
            '  "metadata": {},\n  "nbformat": 4,\n  "nbformat_minor": 2\n}')
    result = convert(text)
    assert result.text == text.replace('          "x.cuda()"', '          "import torch_mlu\\n",\n          "x.mlu()"')


def test_command_line_reports_cell_locations(tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    nb = notebook(markdown("# Training on CUDA"), code(lines("import torch as th\n%matplotlib inline\n")),
                  code(lines("model = th.nn.Linear(2, 2)\nmodel = model.cuda()\nmodel = th.nn.DataParallel(model)\n")))
    (project / "nb.ipynb").write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    out = tmp_path / "out"
    assert main(["-i", str(project), "-o", str(out)]) == 0
    assert sources((out / "nb.ipynb").read_text()) == [
        "# Training on CUDA", "import torch as th\nimport torch_mlu\n%matplotlib inline\n",
        "model = th.nn.Linear(2, 2)\nmodel = model.mlu()\nmodel = th.nn.DataParallel(model)\n"]
    report = (out / "report.md").read_text()
    assert '| nb.ipynb:cell 2:line 1 | add "import torch_mlu" |' in report
    assert '| nb.ipynb:cell 3:line 2 | change "model = model.cuda()" to "model = model.mlu()" |' in report
    assert "| GM201 | nb.ipynb:cell 3:line 3 |" in report
    data = json.loads((out / "report.json").read_text())
    assert {(c["file"], c["cell"], c["line"]) for c in data["changes"]} == {("nb.ipynb", 2, 1), ("nb.ipynb", 3, 2)}
    assert {r["file"]: r["kind"] for r in data["files"]}["nb.ipynb"] == "notebook"


def test_inline_ignore_in_a_cell(tmp_path):
    import json as _json

    from gpu2mlu.cli import main as cli_main
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": ["import torch\n", "a = torch.nn.DataParallel(a)  # gpu2mlu: ignore[GM201]\n",
                         "b = torch.nn.DataParallel(b)\n"]}]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "nb.ipynb").write_text(_json.dumps(nb, indent=1))
    assert cli_main(["-i", str(tmp_path / "p"), "-o", str(tmp_path / "o"), "-q"]) == 0
    report = _json.loads((tmp_path / "o" / "report.json").read_text())
    assert [(f["id"], f["cell"], f["line"]) for f in report["findings"]] == [("GM201", 1, 3)]


def test_disabled_rule_family_holds_in_shell_lines():
    import json as _json

    import gpu2mlu
    from gpu2mlu.settings import Settings
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": ["import torch\n", "!nvidia-smi\n", "x = y.cuda()\n"]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    result = gpu2mlu.convert_text(_json.dumps(nb, indent=1), path="a.ipynb",
                                  settings=Settings(disable=frozenset({"launch-command"})))
    assert [c.after for c in result.changes] == ["import torch_mlu", "x = y.mlu()"]
