"""YAML: whole scalar values convert in place; everything else stays byte for byte."""
import pytest

from tests.config.helpers import assert_converts, assert_unchanged, convert, dedent, finding_ids


@pytest.mark.parametrize("before, after", [
    pytest.param("device: cuda\n", "device: mlu\n", id="plain"),
    pytest.param("device: cuda:0\n", "device: mlu:0\n", id="indexed"),
    pytest.param("device: 'cuda'\n", "device: 'mlu'\n", id="single-quoted"),
    pytest.param('device: "cuda:1"\n', 'device: "mlu:1"\n', id="double-quoted"),
    pytest.param("backend: nccl\n", "backend: cncl\n", id="backend"),
    pytest.param('backend: "cpu:gloo,cuda:nccl"\n', 'backend: "cpu:gloo,mlu:cncl"\n', id="backend-list"),
    pytest.param("device: cuda   # train here\n", "device: mlu   # train here\n", id="trailing-comment"),
    pytest.param("devices: [cuda:0, 'cuda:1', \"cuda:2\"]\n", "devices: [mlu:0, 'mlu:1', \"mlu:2\"]\n", id="flow-sequence"),
    pytest.param("devices:\n  - cuda:0\n  - cuda:1\n", "devices:\n  - mlu:0\n  - mlu:1\n", id="block-sequence"),
    pytest.param("trainer: {device: cuda, backend: nccl}\n", "trainer: {device: mlu, backend: cncl}\n", id="flow-mapping"),
    pytest.param("name: cuda\n", "name: mlu\n", id="any-key-exact-value"),
    pytest.param("cuda: cuda\n", "cuda: mlu\n", id="key-stays-value-converts"),
    pytest.param("base: &dev cuda\nother: *dev\n", "base: &dev mlu\nother: *dev\n", id="anchor-and-alias"),
    pytest.param("device: !!str cuda\n", "device: !!str mlu\n", id="tag"),
    pytest.param("device: &d !!str 'cuda'\n", "device: &d !!str 'mlu'\n", id="anchor-tag-quoted"),
    pytest.param("a:\n  b:\n    c:\n      device: cuda\n", "a:\n  b:\n    c:\n      device: mlu\n", id="nested"),
    pytest.param("- device: cuda\n- device: cpu\n", "- device: mlu\n- device: cpu\n", id="top-level-sequence"),
    pytest.param("device: cuda\n---\ndevice: cuda:3\n...\n", "device: mlu\n---\ndevice: mlu:3\n...\n", id="multi-document"),
    pytest.param("%YAML 1.1\n---\ndevice: cuda\n", "%YAML 1.1\n---\ndevice: mlu\n", id="directive"),
    pytest.param("? device\n: cuda\n", "? device\n: mlu\n", id="explicit-key"),
    pytest.param("défaut: \"é\"\ndevice: cuda\n", "défaut: \"é\"\ndevice: mlu\n", id="non-ascii-before"),
    pytest.param("x: \"😀\"\ndevice: cuda\n", "x: \"😀\"\ndevice: mlu\n", id="astral-before"),
    pytest.param("device:    cuda\n", "device:    mlu\n", id="spacing-kept"),
    pytest.param("device: cuda", "device: mlu", id="no-final-newline"),
])
def test_converts(before, after):
    assert_converts(before, after, "configs/train.yaml")


@pytest.mark.parametrize("text", [
    pytest.param("# device: cuda\nx: 1\n", id="comment"),
    pytest.param("cuda:\n  enabled: true\n", id="key-named-cuda"),
    pytest.param("cuda: 1\nnccl: 2\n", id="keys"),
    pytest.param("path: /usr/local/cuda\n", id="path"),
    pytest.param("home: /usr/local/cuda/bin\n", id="path-bin"),
    pytest.param("cudnn_benchmark: true\nuse_cuda: true\n", id="longer-keys"),
    pytest.param("device: cuda_graph\n", id="longer-value"),
    pytest.param("pkg: cudatoolkit=11.8\n", id="package"),
    pytest.param('description: "runs on cuda"\n', id="prose-quoted"),
    pytest.param("description: runs on cuda\n", id="prose-plain"),
    pytest.param("script: |\n  cuda\n", id="literal-block"),
    pytest.param("script: >\n  cuda\n", id="folded-block"),
    pytest.param("run: |\n  python train.py --device cuda\n", id="block-command"),
    pytest.param('device: "cu\\x64a"\n', id="escaped"),
    pytest.param("device: CUDA\n", id="upper-case"),
    pytest.param("device: cuda:-1\n", id="not-a-device"),
    pytest.param("device: cuda0\n", id="no-colon"),
    pytest.param("text: plain\n  cuda\n", id="multi-line-plain"),
    pytest.param("backend: nccl2\n", id="longer-backend"),
    pytest.param("msg: 'use cuda:0'\n", id="device-in-sentence"),
])
def test_must_not_change(text):
    assert_unchanged(text, "configs/train.yaml")


def test_realistic_file_changes_only_the_values():
    before = dedent("""
        # Training config.  device: cuda is the default
        %s
        model:
          name: resnet50          # "cuda" in a comment stays
          pretrained: true
        trainer:
          device: cuda            # the device
          devices: [cuda:0, cuda:1]
          dist_backend: "nccl"
          cudnn_benchmark: true
          use_cuda: yes
          output: /data/cuda/runs
          notes: >
            Trains on cuda with nccl.
        paths:
          cuda_home: /usr/local/cuda
    """) % "---"
    result = convert(before, "train.yaml")
    changed = {c.line for c in result.changes}
    assert changed == {7, 8, 9}
    for n, (a, b) in enumerate(zip(before.splitlines(True), result.text.splitlines(True)), 1):
        if n not in changed:
            assert a == b
    assert result.text.splitlines()[6:9] == [
        "  device: mlu            # the device", "  devices: [mlu:0, mlu:1]", '  dist_backend: "cncl"']


def test_crlf_is_kept():
    before = "a: 1\r\ndevice: cuda\r\n# cuda\r\nlist:\r\n  - nccl\r\n"
    result = convert(before, "x.yml")
    assert result.text == "a: 1\r\ndevice: mlu\r\n# cuda\r\nlist:\r\n  - cncl\r\n"
    assert [c.line for c in result.changes] == [2, 5]


def test_change_rows_carry_lines_and_families():
    result = convert("x: 1\ndevice: cuda\nbackend: nccl\n", "t.yaml")
    assert [(c.line, c.rule, c.before, c.after) for c in result.changes] == [
        (2, "device-literal", "device: cuda", "device: mlu"),
        (3, "distributed", "backend: nccl", "backend: cncl"),
    ]


def test_aliases_convert_once_at_their_anchor():
    result = convert("a: &d cuda\nb: *d\nc: [*d, *d]\n", "t.yaml")
    assert result.text == "a: &d mlu\nb: *d\nc: [*d, *d]\n"
    assert len(result.edits) == 1


def test_recursive_anchor_does_not_loop():
    result = convert("a: &x\n  b: *x\n  device: cuda\n", "t.yaml")
    assert result.text == "a: &x\n  b: *x\n  device: mlu\n"


def test_env_findings_lines():
    src = """
        env:
          CUDA_LAUNCH_BLOCKING: 1
          NCCL_DEBUG: INFO
    """
    assert finding_ids(src, "ci.yml") == [("GM401", 2), ("GM402", 3)]
