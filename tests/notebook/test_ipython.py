"""IPython syntax: masked so cells parse, never edited by the Python converter, restored as it
was; shell commands go to the shell converter (a fake one here) and `%env` names convert."""
import ast
import re

import pytest

from gpu2mlu import shell
from gpu2mlu.changes import conversion_from_edits
from gpu2mlu.edits import Edit
from gpu2mlu.notebook.ipython import ENV, FILE, SHELL, WHOLE_LINE, mask_cell
from gpu2mlu.results import Finding
from tests.notebook.helpers import assert_idempotent, code, convert, lines, markdown, notebook, sources


# --- masking, line by line -------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "%matplotlib inline", "%load_ext autoreload", "%autoreload 2", "!nvidia-smi", "!!ls", "! pip install x",
    "files = !ls *.py", "a, b = !echo 1 2", "out = %sx nvidia-smi", "%config InlineBackend.figure_format = 'retina'",
    "torch.cuda?", "torch.cuda??", "?torch.cuda", "??torch.cuda", "%pinfo torch.cuda", "/print 1 2", ",f a b", ";f a b",
    "%pip install torch", "%conda install cudatoolkit", "%env", "%env CUDA_VISIBLE_DEVICES=0", "%%bash",
    "torch.cuda.is_available?  # ask", "%time", "%who_ls",
])
def test_escape_lines_are_masked(line):
    masked = mask_cell(f"x = 1\n{line}\ny = 2\n")
    assert masked.python == "x = 1\npass\ny = 2\n"
    assert masked.masked == {2: WHOLE_LINE}


@pytest.mark.parametrize("line", [
    "x = a if b else c", "print('why?')", "s = '!not a command'", "y = x % 3", "x != y", "d[k] = 5",
    "z = w  # is it?", "f(a,\n  b)", "if x:\n    pass", "x = (a\n% b)", "y = a \\\n  % b", "# %% [markdown]",
])
def test_python_lines_are_not_masked(line):
    masked = mask_cell(line + "\n")
    assert masked.python == line + "\n"
    assert masked.masked == {}


def test_indented_escapes_keep_their_block():
    src = "for f in files:\n    !cp {f} /tmp\n    %time g(f)\n"
    masked = mask_cell(src)
    assert masked.python == "for f in files:\n    pass\n    0;    g(f)\n"
    ast.parse(masked.python)


def test_escape_continued_over_lines():
    src = "!python train.py \\\n    --device cuda\n%timeit f(1,\n        2)\nx = 1\n"
    masked = mask_cell(src)
    assert masked.python == "pass\n\n0;      f(1,\n        2)\nx = 1\n"
    assert [(p.kind, src[p.start:p.end], p.line) for p in masked.pieces] == [
        (SHELL, "python train.py \\\n    --device cuda", 1)]


def test_lines_inside_strings_and_brackets_are_python():
    src = 's = """\n!nvidia-smi\n%env X=1\n"""\nf(\n?\n)\n'
    assert mask_cell(src).python == src


def test_time_statement_needs_to_parse():
    assert mask_cell("%time for i in x: f(i)\n").python == "pass\n"
    assert mask_cell("%timeit -n 10 -r 3 x.cuda()\n").python == "0;" + " " * 17 + "x.cuda()\n"  # same columns


@pytest.mark.parametrize("first, kind, name", [
    ("%%bash", SHELL, ""), ("%%sh", SHELL, ""), ("%%script bash", SHELL, ""), ("%%script --bg /bin/sh", SHELL, ""),
    ("%%writefile train.py", FILE, "train.py"), ("%%writefile -a 'run it.sh'", FILE, "run it.sh"),
    ("%%python3", FILE, "cell.py"), ("%%script python", FILE, "cell.py"),
])
def test_cell_magics_with_a_body_for_another_converter(first, kind, name):
    masked = mask_cell(f"{first}\necho cuda\nls\n")
    assert masked.python is None
    (piece,) = masked.pieces
    assert (piece.kind, piece.name, piece.line, piece.one_line) == (kind, name, 2, False)


@pytest.mark.parametrize("first", ["%%html", "%%javascript", "%%latex", "%%capture_unknown", "%%cython"])
def test_other_cell_magics_are_left_whole(first):
    assert mask_cell(f"{first}\n<b>cuda</b>\n") .python is None
    assert mask_cell(f"{first}\n<b>cuda</b>\n").pieces == []


def test_python_cell_magics_keep_their_body():
    masked = mask_cell("\n%%time\nx = x.cuda()\n!ls\n")
    assert masked.python == "\npass\nx = x.cuda()\npass\n"


def test_env_pieces():
    masked = mask_cell("%env CUDA_VISIBLE_DEVICES=0\n%set_env NCCL_DEBUG INFO\n%env PATH\n")
    src = "%env CUDA_VISIBLE_DEVICES=0\n%set_env NCCL_DEBUG INFO\n%env PATH\n"
    assert [(p.kind, src[p.start:p.end], src[p.value_start:p.value_end] if p.value_start >= 0 else None)
            for p in masked.pieces] == [(ENV, "CUDA_VISIBLE_DEVICES", "0"), (ENV, "NCCL_DEBUG", "INFO"), (ENV, "PATH", None)]


# --- through the converter -------------------------------------------------------------------

def test_magics_are_restored_and_the_python_around_them_converts():
    src = ("%load_ext autoreload\n%matplotlib inline\nimport torch\n!nvidia-smi\ntorch.cuda?\n"
           "for i in range(2):\n    %time y = x.cuda()\n    !echo {i}\nm = m.cuda()\n")
    result = convert(notebook(code(lines(src))))
    assert sources(result.text) == [
        "%load_ext autoreload\n%matplotlib inline\nimport torch\nimport torch_mlu\n!cnmon\ntorch.cuda?\n"
        "for i in range(2):\n    %time y = x.mlu()\n    !echo {i}\nm = m.mlu()\n"]
    assert [(c.line, c.after) for c in result.changes] == [
        (3, "import torch_mlu"), (4, "!cnmon"), (7, "%time y = x.mlu()"), (9, "m = m.mlu()")]
    assert_idempotent(result)


def test_python_cell_magic_body_joins_the_program():
    nb = notebook(code(lines("import torch as th\n")), code(lines("%%time\nth.cuda.synchronize()\n")))
    assert sources(convert(nb).text)[1] == "%%time\nth.mlu.synchronize()\n"


def test_other_cell_magics_are_never_touched():
    html = "%%html\n<p>torch.cuda x.cuda() 'cuda'</p>\n"
    nb = notebook(code(lines("import torch\n")), code(lines(html)))
    assert sources(convert(nb).text)[1] == html


def test_import_after_a_first_line_magic():
    nb = notebook(code(lines("%matplotlib inline\nimport torch\n%load_ext tensorboard\nx.cuda()")))
    assert sources(convert(nb).text) == ["%matplotlib inline\nimport torch\nimport torch_mlu\n%load_ext tensorboard\nx.mlu()"]


# --- %env --------------------------------------------------------------------------------------

def test_env_magics():
    src = ("%env CUDA_VISIBLE_DEVICES=0,1\n%set_env PYTORCH_CUDA_ALLOC_CONF expandable_segments:True\n"
           "%env CUDA_LAUNCH_BLOCKING=1\n%env NCCL_DEBUG=INFO\n%env CUDA_HOME=/usr/local/cuda\n"
           "%env DEVICE=cuda:0\n%env CUDA_VISIBLE_DEVICES\n%env\n%env USE_CUDA=1\n")
    result = convert(notebook(markdown("x"), code(lines(src))))
    assert sources(result.text)[1] == (
        "%env MLU_VISIBLE_DEVICES=0,1\n%set_env PYTORCH_MLU_ALLOC_CONF expandable_segments:True\n"
        "%env CUDA_LAUNCH_BLOCKING=1\n%env NCCL_DEBUG=INFO\n%env CUDA_HOME=/usr/local/cuda\n"
        "%env DEVICE=mlu:0\n%env MLU_VISIBLE_DEVICES\n%env\n%env USE_CUDA=1\n")
    assert [(c.cell, c.line, c.rule) for c in result.changes] == [
        (2, 1, "env-var"), (2, 2, "env-var"), (2, 6, "device-literal"), (2, 7, "env-var")]
    assert [(f.cell, f.line, f.id) for f in result.findings] == [(2, 3, "GM401"), (2, 4, "GM402"), (2, 5, "GM405")]
    assert "NEUWARE_HOME" in result.findings[2].suggestion
    assert_idempotent(result)


# --- shell commands, through a stand-in shell converter ------------------------------------------

def fake_shell(text, rules):
    """Renames CUDA_VISIBLE_DEVICES and flags nvidia-smi, as the real shell converter would."""
    edits = [Edit(m.start(), m.end(), "MLU_VISIBLE_DEVICES", "env-var") for m in re.finditer(r"\bCUDA_VISIBLE_DEVICES\b", text)]
    findings = [Finding(text.count("\n", 0, m.start()) + 1, "GM999", "nvidia-smi", "use cnmon")
                for m in re.finditer(r"nvidia-smi", text)]
    return conversion_from_edits(text, edits, findings)


@pytest.fixture
def shell_converter(monkeypatch):
    monkeypatch.setattr(shell, "convert_shell", fake_shell)
    monkeypatch.setattr(shell, "convert_shell_file", lambda text, rules, rel: fake_shell(text, rules))


def test_shell_lines_go_to_the_shell_converter(shell_converter):
    src = ("import os\n!CUDA_VISIBLE_DEVICES=0 python train.py\ngpus = !echo $CUDA_VISIBLE_DEVICES\n"
           "if True:\n    !!nvidia-smi\n%sx echo CUDA_VISIBLE_DEVICES\n%system CUDA_VISIBLE_DEVICES=1 ls\n"
           "!python run.py \\\n  --env CUDA_VISIBLE_DEVICES=3\ns = '!CUDA_VISIBLE_DEVICES'\n")
    result = convert(notebook(markdown("CUDA_VISIBLE_DEVICES"), code(lines(src))))
    assert sources(result.text) == ["CUDA_VISIBLE_DEVICES", src.replace("CUDA_VISIBLE_DEVICES", "MLU_VISIBLE_DEVICES", 5)]
    assert [(c.cell, c.line) for c in result.changes] == [(2, 2), (2, 3), (2, 6), (2, 7), (2, 9)]
    assert [(f.cell, f.line, f.id) for f in result.findings] == [(2, 5, "GM999")]
    assert_idempotent(result)


def test_shell_cells_go_to_the_shell_converter(shell_converter):
    body = "export CUDA_VISIBLE_DEVICES=0\nnvidia-smi\npython train.py"
    nb = notebook(code(lines("import torch\n")), code(lines("%%bash\n" + body)), code(lines("%%script bash\nnvidia-smi\n")))
    result = convert(nb)
    assert sources(result.text)[1] == "%%bash\n" + body.replace("CUDA_", "MLU_")
    assert [(c.cell, c.line) for c in result.changes if not c.added] == [(2, 2)]
    assert [(f.cell, f.line, f.id) for f in result.findings] == [(2, 3, "GM999"), (3, 2, "GM999")]


def test_shell_change_that_adds_a_line_is_not_made_in_a_bang_line(monkeypatch):
    def adds_a_line(text, rules):
        return conversion_from_edits(text, [Edit(0, 0, "export MLU_VISIBLE_DEVICES=0\n", "env-var")])
    monkeypatch.setattr(shell, "convert_shell", adds_a_line)
    nb = notebook(code(lines("!python train.py\n")), code(lines("%%bash\npython train.py\n")))
    result = convert(nb)
    assert sources(result.text) == ["!python train.py\n", "%%bash\nexport MLU_VISIBLE_DEVICES=0\npython train.py\n"]
    assert [(f.cell, f.line, f.id) for f in result.findings] == [(1, 1, "GM601")]
    assert "export MLU_VISIBLE_DEVICES=0" in result.findings[0].message


def test_shell_converter_without_edits_still_maps(monkeypatch):
    def text_only(text, rules):
        result = fake_shell(text, rules)
        return type(result)(result.text, result.changes, result.findings)
    monkeypatch.setattr(shell, "convert_shell", text_only)
    result = convert(notebook(code(lines("!echo $CUDA_VISIBLE_DEVICES\n"))))
    assert sources(result.text) == ["!echo $MLU_VISIBLE_DEVICES\n"]


def test_shell_lines_are_unchanged_without_a_shell_rule(monkeypatch):
    monkeypatch.setattr(shell, "convert_shell", lambda text, rules: conversion_from_edits(text, []))
    src = "!CUDA_VISIBLE_DEVICES=0 nvidia-smi\n"
    assert convert(notebook(code(lines(src)))).text == convert(notebook(code(lines(src)))).text
    assert sources(convert(notebook(code(lines(src)))).text) == [src]


# --- %%writefile: a file of its own --------------------------------------------------------------

def test_writefile_python_is_converted_as_its_own_file():
    nb = notebook(code(lines("import torch\n")),
                  code(lines("%%writefile train.py\nimport torch\nmodel = model.cuda()\n")),
                  code(lines("!python train.py\n")))
    result = convert(nb)
    assert sources(result.text) == ["import torch\nimport torch_mlu\n",
                                    "%%writefile train.py\nimport torch\nimport torch_mlu\nmodel = model.mlu()\n",
                                    "!python train.py\n"]
    assert [(c.cell, c.line, c.rule) for c in result.changes] == [
        (1, 1, "import-torch-mlu"), (2, 2, "import-torch-mlu"), (2, 3, "tensor-cuda-method")]
    assert_idempotent(result)


def test_writefile_that_does_not_parse_is_reported():
    nb = notebook(code(lines("%%writefile train.py\nprint 'x'\nmodel.cuda()\n")), code(lines("x.cuda()\n")))
    result = convert(nb)
    assert sources(result.text) == ["%%writefile train.py\nprint 'x'\nmodel.cuda()\n", "x.mlu()\n"]
    assert [(f.cell, f.line, f.id) for f in result.findings] == [(1, 1, "GM602")]
    assert "train.py" in result.findings[0].message


def test_writefile_shell_goes_to_the_shell_file_converter(shell_converter):
    nb = notebook(code(lines("%%writefile run.sh\nexport CUDA_VISIBLE_DEVICES=0\n")))
    assert sources(convert(nb).text) == ["%%writefile run.sh\nexport MLU_VISIBLE_DEVICES=0\n"]


def test_writefile_without_trigger_words_is_not_converted(monkeypatch):
    called = []
    monkeypatch.setattr(shell, "convert_shell_file", lambda text, rules, rel: called.append(text))
    nb = notebook(code(lines("%%writefile run.sh\npython train.py\n")))
    assert sources(convert(nb).text) == ["%%writefile run.sh\npython train.py\n"]
    assert called == []
