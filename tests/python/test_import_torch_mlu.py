"""`import torch_mlu` goes right after the first statement that imports torch, once."""
import pytest

from tests.python.helpers import assert_converts, assert_unchanged, convert, dedent


@pytest.mark.parametrize("before, after", [
    pytest.param("import torch\n", "import torch\nimport torch_mlu\n", id="plain"),
    pytest.param("import torch as th\nx = 1\n", "import torch as th\nimport torch_mlu\nx = 1\n", id="alias"),
    pytest.param("import torch.nn as nn\n", "import torch.nn as nn\nimport torch_mlu\n", id="submodule"),
    pytest.param("from torch import nn\n", "from torch import nn\nimport torch_mlu\n", id="from-import"),
    pytest.param("import os, torch\n", "import os, torch\nimport torch_mlu\n", id="in-a-list"),
    pytest.param("import torch  # the framework\n", "import torch  # the framework\nimport torch_mlu\n", id="trailing-comment"),
    pytest.param("import torch; import os\n", "import torch; import os\nimport torch_mlu\n", id="semicolon"),
    pytest.param("import torch", "import torch\nimport torch_mlu", id="no-final-newline"),
    pytest.param("import torch\r\nx = 1\r\n", "import torch\r\nimport torch_mlu\r\nx = 1\r\n", id="crlf"),
    pytest.param('"""Doc."""\nimport os\nimport torch\nimport torchvision\n',
                 '"""Doc."""\nimport os\nimport torch\nimport torch_mlu\nimport torchvision\n', id="after-other-imports"),
    pytest.param("from torch.nn import (\n    Linear,\n    ReLU,\n)\nx = 1\n",
                 "from torch.nn import (\n    Linear,\n    ReLU,\n)\nimport torch_mlu\nx = 1\n", id="multi-line"),
    pytest.param("try:\n    import torch\nexcept ImportError:\n    torch = None\n",
                 "try:\n    import torch\n    import torch_mlu\nexcept ImportError:\n    torch = None\n", id="inside-try"),
    pytest.param("def f():\n    import torch\n    return torch\n",
                 "def f():\n    import torch\n    import torch_mlu\n    return torch\n", id="only-in-function"),
    pytest.param("try: import torch\nexcept ImportError: pass\n",
                 "try: import torch; import torch_mlu\nexcept ImportError: pass\n", id="one-line-try"),
    pytest.param("try: import torch\nexcept ImportError: pass\nimport torch as th\nx = th.cuda.is_available()\n",
                 "try: import torch; import torch_mlu\nexcept ImportError: pass\nimport torch as th\n"
                 "x = th.mlu.is_available()\n", id="one-line-try-then-more"),
    pytest.param("import torch.cuda as tc\nimport torch\n",
                 "import torch_mlu\nimport torch.mlu as tc\nimport torch\n", id="before-a-torch-mlu-module"),
    pytest.param("from torch.cuda import Event\n", "import torch_mlu\nfrom torch.mlu import Event\n",
                 id="before-from-torch-mlu"),
    pytest.param("import torch\nimport torch\n", "import torch\nimport torch_mlu\nimport torch\n", id="only-once"),
])
def test_adds_import(before, after):
    assert_converts(before, after)


@pytest.mark.parametrize("src", [
    pytest.param("import torch\nimport torch_mlu\n", id="already-there"),
    pytest.param("import torch_mlu\nimport torch\n", id="already-before"),
    pytest.param("import torchvision\nimport torchaudio\n", id="not-torch"),
    pytest.param("import numpy as np\n", id="no-torch"),
    pytest.param('"""Example:\nimport torch\n"""\nx = 1\n', id="in-a-docstring"),
    pytest.param("# import torch\nx = 1\n", id="in-a-comment"),
    pytest.param("from torch_mlu.utils import x\nimport torch\n", id="torch-mlu-submodule-already"),
])
def test_import_unchanged(src):
    assert_unchanged(src)


def test_report_row_points_at_the_anchor():
    result = convert("import os\nimport torch\n")
    (change,) = result.changes
    assert change.added and change.line == 2 and change.after == "import torch_mlu"


def test_docstring_example_is_not_an_anchor():
    src = dedent('''
        """Usage:
        import torch
        """
        import os
        import torch
    ''')
    assert convert(src).text.endswith("import torch\nimport torch_mlu\n")
