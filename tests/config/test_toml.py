"""TOML: one-line string values convert; keys, table names, multi-line and escaped strings stay."""
import pytest

from tests.config.helpers import assert_converts, assert_unchanged, convert


@pytest.mark.parametrize("before, after", [
    pytest.param('device = "cuda"\n', 'device = "mlu"\n', id="basic"),
    pytest.param("device = 'cuda:0'\n", "device = 'mlu:0'\n", id="literal"),
    pytest.param('[train]\nbackend = "nccl"  # comment\n', '[train]\nbackend = "cncl"  # comment\n', id="table-comment"),
    pytest.param('devices = ["cuda:0", \'cuda:1\']\n', 'devices = ["mlu:0", \'mlu:1\']\n', id="array"),
    pytest.param('devices = [\n  "cuda:0",  # first\n  "cuda:1",\n]\n', 'devices = [\n  "mlu:0",  # first\n  "mlu:1",\n]\n', id="multi-line-array"),
    pytest.param('t = { device = "cuda", n = 1.5 }\n', 't = { device = "mlu", n = 1.5 }\n', id="inline-table"),
    pytest.param('a.b.device = "cuda"\n', 'a.b.device = "mlu"\n', id="dotted-key"),
    pytest.param('"cuda" = "cuda"\n', '"cuda" = "mlu"\n', id="quoted-key-stays"),
    pytest.param('[[runs]]\ndevice = "cuda"\n[[runs]]\ndevice = "cpu"\n', '[[runs]]\ndevice = "mlu"\n[[runs]]\ndevice = "cpu"\n', id="array-of-tables"),
    pytest.param('x = """\nsome "cuda" text\n"""\ndevice = "cuda"\n', 'x = """\nsome "cuda" text\n"""\ndevice = "mlu"\n', id="after-multi-line"),
    pytest.param("x = '''it's'''\ndevice = \"cuda\"\n", "x = '''it's'''\ndevice = \"mlu\"\n", id="after-multi-line-literal"),
    pytest.param('x = [[1, 2], ["cuda"]]\n', 'x = [[1, 2], ["mlu"]]\n', id="nested-arrays"),
    pytest.param('when = 1979-05-27T07:32:00Z\ndevice = "cuda"\n', 'when = 1979-05-27T07:32:00Z\ndevice = "mlu"\n', id="datetime"),
])
def test_converts(before, after):
    assert_converts(before, after, "conf/train.toml")


@pytest.mark.parametrize("text", [
    pytest.param('# device = "cuda"\nx = 1\n', id="comment"),
    pytest.param('[tool.cuda]\nenabled = true\n', id="table-name"),
    pytest.param('["cuda"]\nx = 1\n', id="quoted-table-name"),
    pytest.param('cuda = "cpu"\nnccl = 1\n', id="bare-keys"),
    pytest.param('x = """cuda"""\n', id="multi-line-basic"),
    pytest.param("x = '''cuda'''\n", id="multi-line-literal"),
    pytest.param('x = "cu\\u0064a"\n', id="escaped"),
    pytest.param('home = "/usr/local/cuda"\n', id="path"),
    pytest.param('desc = "runs on cuda"\n', id="prose"),
    pytest.param('t = { cuda = 1 }\n', id="inline-key"),
])
def test_must_not_change(text):
    assert_unchanged(text, "conf/train.toml")


def test_crlf_kept():
    before = '[a]\r\ndevice = "cuda"\r\n'
    assert convert(before, "a.toml").text == '[a]\r\ndevice = "mlu"\r\n'
