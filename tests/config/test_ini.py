"""INI / .cfg: whole option values (stripped, optionally quoted) convert; the rest stays."""
import pytest

from tests.config.helpers import assert_converts, assert_unchanged, convert


@pytest.mark.parametrize("before, after", [
    pytest.param("[train]\ndevice = cuda\n", "[train]\ndevice = mlu\n", id="equals"),
    pytest.param("[train]\ndevice: cuda:0\n", "[train]\ndevice: mlu:0\n", id="colon"),
    pytest.param("[train]\ndevice=cuda\n", "[train]\ndevice=mlu\n", id="no-spaces"),
    pytest.param('[train]\nbackend = "nccl"\n', '[train]\nbackend = "cncl"\n', id="double-quoted"),
    pytest.param("[train]\nbackend = 'nccl'\n", "[train]\nbackend = 'cncl'\n", id="single-quoted"),
    pytest.param("[train]\ndevice = cuda  ; the device\n", "[train]\ndevice = mlu  ; the device\n", id="inline-comment"),
    pytest.param("[train]\ndevice = cuda   \n", "[train]\ndevice = mlu   \n", id="trailing-space"),
    pytest.param("[train]\ndevices =\n    cuda:0\n    cuda:1\n", "[train]\ndevices =\n    mlu:0\n    mlu:1\n", id="continuation"),
    pytest.param("device = cuda\n", "device = mlu\n", id="no-section"),
    pytest.param("[a]\nx = 1\n\n[b]\n  device = cuda\n", "[a]\nx = 1\n\n[b]\n  device = mlu\n", id="indented-option"),
])
def test_converts(before, after):
    assert_converts(before, after, "setup/train.cfg")


@pytest.mark.parametrize("text", [
    pytest.param("[train]\n# device = cuda\n; backend = nccl\n", id="comments"),
    pytest.param("[cuda]\nx = 1\n", id="section"),
    pytest.param("[train]\ncuda = true\nnccl = 1\n", id="keys"),
    pytest.param("[train]\npath = /usr/local/cuda\n", id="path"),
    pytest.param("[train]\ncommand = python train.py --device cuda\n", id="not-whole"),
    pytest.param("[train]\ndesc = runs on cuda\n", id="prose"),
    pytest.param("[train]\ndevice = cuda_graph\n", id="longer-value"),
    pytest.param("[train]\ndevice = cuda#x\n", id="hash-without-space"),
])
def test_must_not_change(text):
    assert_unchanged(text, "train.ini")


def test_crlf_kept():
    assert convert("[a]\r\ndevice = cuda\r\n", "a.ini").text == "[a]\r\ndevice = mlu\r\n"
