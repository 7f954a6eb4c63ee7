"""Code cells converted as one program: aliases across cells, one `import torch_mlu`, locations,
and the JSON kept byte for byte outside the changed source strings."""
import json

import pytest

from gpu2mlu.notebook import convert_notebook
from gpu2mlu.rules import load_ruleset
from tests.notebook.helpers import (
    LAYOUTS, assert_idempotent, code, convert, lines, markdown, notebook, source_as, sources,
)

STYLES = ["list", "string"]


def expect_same_dump(before_nb, after_nb, layout, **dump):
    """Converting json.dumps(before) gives exactly json.dumps(after): every byte outside the
    changed source strings is the writer's, and the new strings are written in its style."""
    options = {**LAYOUTS[layout], **dump}
    result = convert(json.dumps(before_nb, **options))
    assert result.text == json.dumps(after_nb, **options)
    assert_idempotent(result)
    return result


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("style", STYLES)
def test_alias_from_an_earlier_cell_and_one_import(layout, style):
    before = notebook(
        code(source_as(style, "import torch as th\nimport numpy as np\n")),
        markdown(["Put the model on the GPU with `.cuda()`.\n"]),
        code(source_as(style, "x = th.ones(2)\nth.cuda.synchronize()\n")),
        code(source_as(style, "import torch\ny = torch.zeros(1, device='cuda')\n")),
    )
    after = notebook(
        code(source_as(style, "import torch as th\nimport torch_mlu\nimport numpy as np\n")),
        markdown(["Put the model on the GPU with `.cuda()`.\n"]),
        code(source_as(style, "x = th.ones(2)\nth.mlu.synchronize()\n")),
        code(source_as(style, "import torch\ny = torch.zeros(1, device='mlu')\n")),
    )
    result = expect_same_dump(before, after, layout)
    assert [(c.cell, c.line, c.rule, c.added) for c in result.changes] == [
        (1, 1, "import-torch-mlu", True),
        (3, 2, "torch-cuda-api", False),
        (4, 2, "device-literal", False),
    ]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("style", STYLES)
def test_import_after_a_last_line_without_newline(layout, style):
    # Jupyter stores a cell's last line without "\n"; the added line keeps it that way.
    before = notebook(code(source_as(style, "import torch")), code(source_as(style, "m = m.cuda()")))
    after = notebook(code(source_as(style, "import torch\nimport torch_mlu")), code(source_as(style, "m = m.mlu()")))
    expect_same_dump(before, after, layout)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_import_into_a_one_line_list_source(layout):
    before = notebook(code(["import torch\n"]), code(["x.cuda()"]))
    after = notebook(code(["import torch\n", "import torch_mlu\n"]), code(["x.mlu()"]))
    expect_same_dump(before, after, layout)


def test_import_lands_in_the_cell_of_the_first_torch_import():
    before = notebook(code(lines("import os\n")), code(lines("import torch\n")), code(lines("import torch.nn as nn\n")))
    after = notebook(code(lines("import os\n")), code(lines("import torch\nimport torch_mlu\n")),
                     code(lines("import torch.nn as nn\n")))
    result = expect_same_dump(before, after, "jupyter")
    assert [(c.cell, c.line, c.after) for c in result.changes] == [(2, 1, "import torch_mlu")]


def test_import_before_a_torch_mlu_module_import_at_the_top_of_a_cell():
    # `import torch.cuda` becomes `import torch.mlu`, which needs torch_mlu first: the new line
    # goes before it, in the same cell, not at the end of the cell above.
    before = notebook(code(lines("x = 1\n")), code(lines("import torch.cuda\ntorch.cuda.synchronize()\n")))
    after = notebook(code(lines("x = 1\n")), code(lines("import torch_mlu\nimport torch.mlu\ntorch.mlu.synchronize()\n")))
    result = expect_same_dump(before, after, "jupyter")
    assert [(c.cell, c.line, c.added) for c in result.changes] == [(2, 1, True), (2, 1, False), (2, 2, False)]


def test_existing_torch_mlu_import_in_a_later_cell_adds_nothing():
    before = notebook(code(lines("import torch\n")), code(lines("import torch_mlu\nx.cuda()\n")))
    after = notebook(code(lines("import torch\n")), code(lines("import torch_mlu\nx.mlu()\n")))
    expect_same_dump(before, after, "jupyter")


def test_markdown_raw_outputs_metadata_and_counts_stay():
    stream = {"name": "stdout", "output_type": "stream", "text": ["device: cuda:0\n", "torch.cuda.is_available() True\n"]}
    rich = {"data": {"text/plain": ["'cuda'"]}, "execution_count": 3, "metadata": {}, "output_type": "execute_result"}
    error = {"ename": "RuntimeError", "evalue": "CUDA out of memory", "output_type": "error",
             "traceback": ["torch.cuda.OutOfMemoryError"]}
    meta = {"kernelspec": {"name": "cuda-env", "language": "python"}, "accelerator": "GPU", "colab": {"gpuType": "T4"}}
    before = notebook(
        markdown("Use `torch.cuda` and `device='cuda'`.\n"),
        {"cell_type": "raw", "metadata": {"format": "text/x-python"}, "source": ["x.cuda()\n"]},
        code(lines("import torch\ndevice = 'cuda'\n"), outputs=[stream, rich, error], count=3),
        metadata=meta,
    )
    after = json.loads(json.dumps(before))
    after["cells"][2]["source"] = lines("import torch\nimport torch_mlu\ndevice = 'mlu'\n")
    for layout in LAYOUTS:
        expect_same_dump(before, after, layout)


@pytest.mark.parametrize("ensure_ascii", [True, False])
@pytest.mark.parametrize("style", STYLES)
def test_non_ascii_text_in_both_escape_styles(ensure_ascii, style):
    before = notebook(markdown("## 训练 (GPU)\n"),
                      code(source_as(style, "import torch  # 导入\nmodel = model.cuda()  # 放到显卡 ✓\nname = 'café'")))
    after = notebook(markdown("## 训练 (GPU)\n"),
                     code(source_as(style, "import torch  # 导入\nimport torch_mlu\nmodel = model.mlu()  # 放到显卡 ✓\nname = 'café'")))
    for layout in LAYOUTS:
        expect_same_dump(before, after, layout, ensure_ascii=ensure_ascii)


def test_unchanged_text_keeps_its_raw_escapes():
    # Hand-written JSON: \/ and upper-case \u escapes, an escaped letter, a tab escape; only the
    # span that changes is re-encoded, the rest of the string keeps its spelling.
    text = ('{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [],\n'
            '  "source": ["import torch\\n", "p = \\"\\/tmp\\/caf\\u00E9\\";\\tx = \\u0074orch.cuda.current_device()"]}],\n'
            ' "metadata": {}, "nbformat": 4, "nbformat_minor": 4}\n')
    result = convert(text)
    assert result.text == text.replace('"import torch\\n", ', '"import torch\\n", "import torch_mlu\\n", ').replace(
        "\\u0074orch.cuda.current_device", "\\u0074orch.mlu.current_device")


def test_escape_style_of_new_text_follows_the_notebook():
    # A change that copies non-ASCII user text (here: reordered autocast arguments) writes it the
    # way the rest of the notebook does.
    src = "import torch\nwith torch.cuda.amp.autocast(True, dtype=torch.float16, cache_enabled=é):\n    pass\n"
    for ensure_ascii in (True, False):
        nb = notebook(code(lines(src)), markdown("é/"))
        result = convert(json.dumps(nb, indent=1, ensure_ascii=ensure_ascii))
        assert ("\\u00e9" in result.text) == ensure_ascii
        assert "\\/" not in result.text
        assert_idempotent(result)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_locations_count_every_cell_and_lines_within_the_cell(layout):
    nb = notebook(
        markdown("# title"),
        code(lines("import torch\nimport torch.distributed as dist\n")),
        {"cell_type": "raw", "metadata": {}, "source": "raw"},
        code(lines("\n\ndist.init_process_group('nccl')\nm = torch.nn.DataParallel(m)\n")),
    )
    result = convert(nb, layout)
    assert [(c.cell, c.line, c.rule) for c in result.changes if not c.added] == [(4, 3, "distributed")]
    assert [(c.cell, c.line, c.added) for c in result.changes if c.added] == [(2, 1, True)]  # after line 1
    assert [(f.cell, f.line, f.id) for f in result.findings] == [(4, 4, "GM201")]


def test_unparsable_cell_is_reported_and_left_alone_and_the_others_convert():
    nb = notebook(
        code(lines("import torch\n")),
        code(lines("x = torch.zeros(1).cuda()\nif x\n    print('cuda')\n")),
        code(lines("print 'old'\ny = y.cuda()\n")),
        code(lines("z = z.cuda()\n")),
    )
    result = convert(nb)
    assert sources(result.text) == ["import torch\nimport torch_mlu\n",
                                    "x = torch.zeros(1).cuda()\nif x\n    print('cuda')\n",
                                    "print 'old'\ny = y.cuda()\n", "z = z.mlu()\n"]
    assert [(f.cell, f.line, f.id) for f in result.findings] == [(2, 2, "GM600"), (3, 1, "GM600")]
    assert "left unchanged" in result.findings[0].message
    assert_idempotent(result)


def test_a_cell_that_does_not_parse_gets_no_import_even_when_it_only_imports_torch():
    nb = notebook(code(lines("import torch\ndef f(:\n")), code(lines("x = 1\n")))
    result = convert(nb)
    assert sources(result.text) == ["import torch\ndef f(:\n", "x = 1\n"]
    assert not result.changes
    assert [(f.cell, f.line, f.id) for f in result.findings] == [(1, 2, "GM600")]


def test_a_notebook_with_findings_only_is_byte_identical():
    text = json.dumps(notebook(code(lines("import torch_mlu\nimport torch\nm = torch.nn.DataParallel(m)\n"))), indent=1)
    result = convert(text)
    assert result.text == text
    assert not result.changes and [f.id for f in result.findings] == ["GM201"]


@pytest.mark.parametrize("source", [[], "", [""], "\n", ["# nothing\n"]])
def test_empty_and_trivial_cells(source):
    nb = notebook(code(source), code(lines("import torch\n")), code(source))
    result = convert(nb)
    assert sources(result.text)[1] == "import torch\nimport torch_mlu\n"
    assert sources(result.text)[0] == sources(result.text)[2] == ("".join(source) if isinstance(source, list) else source)


def test_crlf_lines_inside_sources():
    nb = notebook(code("import torch\r\nx.cuda()\r\n"))
    result = convert(nb)
    assert sources(result.text) == ["import torch\r\nimport torch_mlu\r\nx.mlu()\r\n"]


def test_nan_in_outputs_does_not_stop_the_conversion():
    text = json.dumps(notebook(code(lines("import torch\n"), outputs=[
        {"data": {"application/json": {"loss": float("nan")}}, "metadata": {}, "output_type": "display_data"}])), indent=1)
    assert "NaN" in text
    result = convert(text)
    assert sources(result.text) == ["import torch\nimport torch_mlu\n"]
    assert result.text.replace('    "import torch_mlu\\n"\n', "").replace('"import torch\\n",', '"import torch\\n"') == text


def test_conversion_edits_rebuild_the_text():
    from gpu2mlu.edits import apply_edits
    text = json.dumps(notebook(code(lines("import torch as th\n")), code(lines("th.cuda.synchronize()\nx.cuda()"))), indent=1)
    result = convert_notebook(text, load_ruleset("2.4"), "nb.ipynb")
    assert apply_edits(text, list(result.edits)) == result.text
    assert {e.rule for e in result.edits} == {"import-torch-mlu", "torch-cuda-api", "tensor-cuda-method"}


def test_cell_ending_in_a_lone_carriage_return_before_a_cell_starting_with_newline():
    # "\r" + "\n" would read as one line break if the cells were simply joined
    nb = notebook(code(["import torch\r"]), code(["\n", "x = 1\n", "y = y.cuda()\n"]))
    result = convert(nb)
    assert sources(result.text)[1] == "\nx = 1\ny = y.mlu()\n"
    assert sources(result.text)[0].startswith("import torch\r") and "import torch_mlu" in sources(result.text)[0]
    assert [(c.cell, c.line) for c in result.changes if not c.added] == [(2, 3)]


def test_identical_cells_are_still_told_apart():
    nb = notebook(code(lines("import torch\n")), code(lines("x.cuda()\n")), code(lines("x.cuda()\n")))
    result = convert(nb)
    assert sources(result.text)[1:] == ["x.mlu()\n", "x.mlu()\n"]
    assert [(c.cell, c.line) for c in result.changes if not c.added] == [(2, 1), (3, 1)]
