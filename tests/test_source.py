"""Every byte outside the changed spans stays: encodings, BOM, line endings, final newline."""
import codecs

import pytest

from gpu2mlu.python import ParseError, convert_python
from gpu2mlu.rules import load_ruleset
from gpu2mlu.source import DecodeError, LineIndex, decode


def convert_bytes(data: bytes) -> bytes:
    source = decode(data)
    return source.encode(convert_python(source.text, load_ruleset()).text)


def test_gbk_cookie_round_trips():
    data = "# -*- coding: gbk -*-\nimport torch\n# 中文注释\nx = y.cuda()  # 移到设备\n".encode("gbk")
    out = convert_bytes(data)
    assert out == "# -*- coding: gbk -*-\nimport torch\nimport torch_mlu\n# 中文注释\nx = y.mlu()  # 移到设备\n".encode("gbk")


def test_utf8_bom_is_kept():
    data = codecs.BOM_UTF8 + b"import torch\nx = y.cuda()\n"
    assert convert_bytes(data) == codecs.BOM_UTF8 + b"import torch\nimport torch_mlu\nx = y.mlu()\n"


def test_crlf_is_kept():
    data = b"import torch\r\nx = y.cuda()\r\nprint('done')\r\n"
    assert convert_bytes(data) == b"import torch\r\nimport torch_mlu\r\nx = y.mlu()\r\nprint('done')\r\n"


def test_mixed_line_endings_are_kept():
    data = b"import torch\nx = y.cuda()\r\nz = 1\r"
    assert convert_bytes(data) == b"import torch\nimport torch_mlu\nx = y.mlu()\r\nz = 1\r"


def test_missing_final_newline_is_kept():
    assert convert_bytes(b"import torch\nx = y.cuda()") == b"import torch\nimport torch_mlu\nx = y.mlu()"


def test_tabs_and_form_feeds_are_kept():
    data = b"import torch\n\x0c\nif True:\n\tx = y.cuda()\t# tab\n"
    assert convert_bytes(data) == b"import torch\nimport torch_mlu\n\x0c\nif True:\n\tx = y.mlu()\t# tab\n"


def test_offsets_after_wide_characters():
    src = "import torch\ns = '中文中文'; t = '😀'; x = y.cuda(); d = torch.device('cuda')\n"
    out = convert_python(src, load_ruleset()).text
    assert out.endswith("s = '中文中文'; t = '😀'; x = y.mlu(); d = torch.device('mlu')\n")


def test_non_ascii_identifiers():
    src = "import torch\n模型 = 网络.cuda()\n"
    assert convert_python(src, load_ruleset()).text == "import torch\nimport torch_mlu\n模型 = 网络.mlu()\n"


def test_undecodable_bytes_are_refused():
    with pytest.raises(DecodeError):
        decode(b"x = '\xff\xfe'\n")


def test_unknown_cookie_is_refused():
    with pytest.raises(DecodeError):
        decode(b"# -*- coding: no-such-codec -*-\nx = 1\n")


@pytest.mark.parametrize("src", [
    pytest.param("print 'hello'\nx = y.cuda()\n", id="python-2"),
    pytest.param("def f(:\n    torch.cuda.synchronize()\n", id="syntax-error"),
    pytest.param("x = y.cuda(async=True)\n", id="async-keyword"),
    # files no rule word reaches, which the converter otherwise reads only up to the torch import
    pytest.param("import torch\ndef f(:\n", id="only-import-torch"),
    pytest.param("import torch\n" + "x = 1\n" * 200 + "def f(:\n", id="error-far-below-import-torch"),
    pytest.param("import torch\nx = 1\x00\n", id="nul-byte"),
])
def test_files_that_do_not_parse(src):
    with pytest.raises(ParseError):
        convert_python(src, load_ruleset())


def test_parse_error_names_the_line():
    with pytest.raises(ParseError, match=r"^line 3: "):
        convert_python("import torch\nx = 1\ndef f(:\n", load_ruleset())


@pytest.mark.parametrize("src", [
    pytest.param("import torch\nreturn 1\n", id="return-outside-function"),
    pytest.param("import torch\nx = 1 is 1\n", id="syntax-warning"),
])
def test_what_ast_parses_converts_on_the_fast_path_too(src):
    """The cheap check refuses exactly what ast.parse refuses, no more."""
    assert convert_python(src, load_ruleset()).text.startswith("import torch\nimport torch_mlu\n")


def test_line_index_uses_python_line_breaks():
    index = LineIndex("a\rb\r\nc\x0cd\ne")
    assert [index.line_text(i) for i in (1, 2, 3, 4)] == ["a", "b", "c\x0cd", "e"]
    assert index.offset(3, 2) == 7
