"""The documented Python API: strings, files and trees in; Conversion, FileResult, RunResult out."""
import pytest

import gpu2mlu
from tests.test_cli import make_tree


def test_convert_text_python():
    result = gpu2mlu.convert_text("import torch\nx = x.cuda()\n")
    assert result.text == "import torch\nimport torch_mlu\nx = x.mlu()\n"
    assert [(c.line, c.rule) for c in result.changes] == [(1, "import-torch-mlu"), (2, "tensor-cuda-method")]


def test_convert_text_target_and_findings():
    result = gpu2mlu.convert_text("import torch\nnet = torch.nn.DataParallel(net)\n", target="2.1")
    assert [(f.id, f.line) for f in result.findings] == [("GM201", 2)]
    silenced = gpu2mlu.convert_text("import torch\nnet = torch.nn.DataParallel(net)  # gpu2mlu: ignore[GM201]\n")
    assert silenced.findings == ()


def test_convert_text_kind_from_path_and_errors():
    assert gpu2mlu.convert_text("notes about cuda\n", path="README.md").text == "notes about cuda\n"
    with pytest.raises(gpu2mlu.Unconvertible):
        gpu2mlu.convert_text("x = y.cuda(\n")


def test_convert_file_writes_nothing(tmp_path):
    path = tmp_path / "t.py"
    path.write_bytes(b"import torch\r\nx = y.cuda()\r\n")
    result = gpu2mlu.convert_file(path)
    assert result.status == "converted" and result.after == "import torch\r\nimport torch_mlu\r\nx = y.mlu()\r\n"
    assert path.read_bytes() == b"import torch\r\nx = y.cuda()\r\n"


def test_convert_tree_in_memory_and_on_disk(tmp_path):
    src = make_tree(tmp_path / "p", {"a.py": "import torch\nx = y.cuda()\n", "b.txt": "cuda\n"})
    run = gpu2mlu.convert_tree(src)
    assert {f.path: f.status for f in run.files} == {"a.py": "converted", "b.txt": "copied"}
    assert not (tmp_path / "p_mlu").exists()
    run = gpu2mlu.convert_tree(src, tmp_path / "out")
    assert (tmp_path / "out/a.py").read_text() == "import torch\nimport torch_mlu\nx = y.mlu()\n"
    assert run.summary["changes"] == 2
