"""JSON: string values convert by span; member names, escaped strings and prose stay."""
import pytest

from tests.config.helpers import assert_converts, assert_unchanged, convert


@pytest.mark.parametrize("before, after", [
    pytest.param('{"device": "cuda"}\n', '{"device": "mlu"}\n', id="value"),
    pytest.param('{"device":"cuda:0"}', '{"device":"mlu:0"}', id="compact"),
    pytest.param('{"backend": "nccl", "init": "env://"}\n', '{"backend": "cncl", "init": "env://"}\n', id="backend"),
    pytest.param('{"devices": ["cuda:0", "cuda:1"]}\n', '{"devices": ["mlu:0", "mlu:1"]}\n', id="array"),
    pytest.param('{"a": {"b": [{"device": "cuda"}]}}\n', '{"a": {"b": [{"device": "mlu"}]}}\n', id="nested"),
    pytest.param('{"cuda": "cuda"}\n', '{"cuda": "mlu"}\n', id="key-stays"),
    pytest.param('"cuda"\n', '"mlu"\n', id="top-level-string"),
    pytest.param('{\n  "device" :\n    "cuda"\n}\n', '{\n  "device" :\n    "mlu"\n}\n', id="spread-over-lines"),
    pytest.param('{"t": "a \\"quoted\\" x", "device": "cuda"}\n', '{"t": "a \\"quoted\\" x", "device": "mlu"}\n', id="after-escaped-quotes"),
    pytest.param('{"t": "[{", "device": "cuda"}\n', '{"t": "[{", "device": "mlu"}\n', id="brackets-in-strings"),
    pytest.param('{"dist": {"backend": "cpu:gloo,cuda:nccl"}}', '{"dist": {"backend": "cpu:gloo,mlu:cncl"}}', id="backend-list"),
])
def test_converts(before, after):
    assert_converts(before, after, "config.json")


@pytest.mark.parametrize("text", [
    pytest.param('{"cuda": 1, "nccl": true}\n', id="member-names"),
    pytest.param('{"device": "cu\\u0064a"}\n', id="escaped-value"),
    pytest.param('{"device": "cuda\\n"}\n', id="escaped-newline"),
    pytest.param('{"path": "/usr/local/cuda"}\n', id="path"),
    pytest.param('{"cudnn_benchmark": true, "use_cuda": false}\n', id="longer-names"),
    pytest.param('{"desc": "runs on cuda"}\n', id="prose"),
    pytest.param('{"device": "cuda_graph"}\n', id="longer-value"),
    pytest.param('{"n": 1.5e3, "ok": null, "s": "cudatoolkit"}\n', id="other-values"),
])
def test_must_not_change(text):
    assert_unchanged(text, "config.json")


def test_crlf_and_indentation_kept():
    before = '{\r\n\t"device": "cuda",\r\n\t"n": 2\r\n}\r\n'
    assert convert(before, "a.json").text == '{\r\n\t"device": "mlu",\r\n\t"n": 2\r\n}\r\n'


def test_change_line_numbers():
    result = convert('{\n  "a": 1,\n  "device": "cuda"\n}\n', "a.json")
    assert [(c.line, c.rule) for c in result.changes] == [(3, "device-literal")]
