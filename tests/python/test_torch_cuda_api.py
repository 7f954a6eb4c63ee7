"""torch.cuda.X → torch.mlu.X through every import form; renames; typed tensors; missing APIs."""
import pytest

from tests.python.helpers import assert_converts, assert_unchanged, convert, dedent, finding_ids

H = "import torch\nimport torch_mlu\n"  # what every converted file starts with


@pytest.mark.parametrize("before, after", [
    pytest.param("torch.cuda.synchronize()", "torch.mlu.synchronize()", id="call"),
    pytest.param("n = torch.cuda.device_count()", "n = torch.mlu.device_count()", id="value"),
    pytest.param("if not torch.cuda.is_available():\n    pass", "if not torch.mlu.is_available():\n    pass", id="condition"),
    pytest.param("e = torch.cuda.Event(enable_timing=True)", "e = torch.mlu.Event(enable_timing=True)", id="class"),
    pytest.param("m = torch.cuda", "m = torch.mlu", id="module-itself"),
    pytest.param("g = torch.cuda.CUDAGraph()", "g = torch.mlu.MLUGraph()", id="renamed-graph"),
    pytest.param("torch.cuda.nvtx.range_push('x')", "torch.mlu.cnpx.range_push('x')", id="nvtx"),
    pytest.param("a = torch.cuda.CUDAPluggableAllocator(p, 'a', 'f')", "a = torch.mlu.MLUPluggableAllocator(p, 'a', 'f')", id="allocator"),
    pytest.param("v = torch.cuda.nccl.version()", "v = torch.mlu.cncl.version()", id="nccl-module"),
    pytest.param("ok = torch.cuda.nccl.is_available(ts)", "ok = torch.mlu.cncl.is_cncl_available(ts)", id="nccl-is-available"),
    pytest.param("t = torch.cuda.FloatTensor(3)", "t = torch.mlu.FloatTensor(3)", id="typed-tensor"),
    pytest.param("s = torch.cuda.memory.memory_stats()", "s = torch.mlu.memory.memory_stats()", id="memory-submodule"),
    pytest.param("torch.cuda.random.manual_seed(0)", "torch.mlu.random.manual_seed(0)", id="random-submodule"),
    pytest.param("with torch.cuda.device(1):\n    pass", "with torch.mlu.device(1):\n    pass", id="context-manager"),
    pytest.param("x = torch.cuda.current_stream().cuda_stream", "x = torch.mlu.current_stream().mlu_stream", id="stream-handle"),
    pytest.param("torch.cuda.synchronize(\n    device,\n)", "torch.mlu.synchronize(\n    device,\n)", id="multi-line"),
    pytest.param("f = torch . cuda . empty_cache", "f = torch . mlu . empty_cache", id="spaced-dots"),
    pytest.param("x = t.type('torch.cuda.FloatTensor')", "x = t.type('torch.mlu.FloatTensor')", id="typed-tensor-string"),
])
def test_torch_cuda(before, after):
    assert_converts(f"import torch\n{before}\n", f"{H}{after}\n")


@pytest.mark.parametrize("before, after", [
    pytest.param("import torch as th\nth.cuda.synchronize()\n",
                 "import torch as th\nimport torch_mlu\nth.mlu.synchronize()\n", id="import-torch-as"),
    pytest.param("import torch.cuda as tc\ntc.synchronize()\n",
                 "import torch_mlu\nimport torch.mlu as tc\ntc.synchronize()\n", id="import-torch-cuda-as"),
    pytest.param("import torch\nfrom torch import cuda\ncuda.synchronize()\nn = cuda.device_count()\n",
                 "import torch\nimport torch_mlu\nfrom torch import mlu\nmlu.synchronize()\nn = mlu.device_count()\n",
                 id="from-torch-import-cuda"),
    pytest.param("import torch\nfrom torch import cuda as c\nc.synchronize()\n",
                 "import torch\nimport torch_mlu\nfrom torch import mlu as c\nc.synchronize()\n", id="from-import-as"),
    pytest.param("import torch\nfrom torch.cuda import Event, synchronize\ne = Event()\n",
                 "import torch\nimport torch_mlu\nfrom torch.mlu import Event, synchronize\ne = Event()\n",
                 id="from-torch-cuda-import-names"),
    pytest.param("import torch\nfrom torch.cuda import CUDAGraph\ng = CUDAGraph()\n",
                 "import torch\nimport torch_mlu\nfrom torch.mlu import MLUGraph\ng = MLUGraph()\n", id="renamed-name-follows"),
    pytest.param("import torch\nfrom torch.cuda import CUDAGraph as G\ng = G()\n",
                 "import torch\nimport torch_mlu\nfrom torch.mlu import MLUGraph as G\ng = G()\n", id="renamed-with-alias"),
    pytest.param("import torch\nimport torch.cuda\ntorch.cuda.synchronize()\n",
                 "import torch\nimport torch_mlu\nimport torch.mlu\ntorch.mlu.synchronize()\n", id="import-torch-cuda"),
    pytest.param("import torch\nfrom torch.cuda import *\n",
                 "import torch\nimport torch_mlu\nfrom torch.mlu import *\n", id="star"),
    pytest.param("import torch\nfrom torch.cuda import synchronize, utilization\n",
                 "import torch\nimport torch_mlu\nfrom torch.mlu import synchronize\nfrom torch.cuda import utilization\n",
                 id="split-when-one-name-is-missing"),
    pytest.param("import torch\nfrom torch.cuda import (\n    Event,\n    Stream,\n)\n",
                 "import torch\nimport torch_mlu\nfrom torch.mlu import (\n    Event,\n    Stream,\n)\n", id="parenthesized"),
])
def test_aliases(before, after):
    assert_converts(before, after)


@pytest.mark.parametrize("src, expected", [
    pytest.param("torch.cuda.utilization()", [("GM102", 2)], id="nvml"),
    pytest.param("torch.cuda.temperature()", [("GM102", 2)], id="temperature"),
    pytest.param("torch.cuda.list_gpu_processes()", [("GM102", 2)], id="processes"),
    pytest.param("torch.cuda.jiterator._create_jit_fn('x')", [("GM101", 2)], id="jiterator"),
    pytest.param("torch.cuda.get_arch_list()", [("GM104", 2)], id="arch-list"),
    pytest.param("torch.cuda.nccl.all_reduce(ts)", [("GM103", 2)], id="nccl-collective"),
    pytest.param("p = torch.cuda.MemPool()", [("GM105", 2)], id="newer-memory"),
    pytest.param("torch.cuda.export_dot('g.dot')", [("GM101", 2)], id="graph-dump-2.14"),
    pytest.param("h = torch.cuda.graphs.export_graph_data('g.pkl')", [("GM101", 2)], id="graph-data-2.14"),
    pytest.param("torch.cuda.graphs.register_graph_replay_start_hook(f)", [("GM101", 2)], id="graph-hook-2.14"),
    pytest.param("with torch.cuda.graph_annotations.mark_kernels('a'):\n    pass", [("GM101", 2)],
                 id="graph-annotations-2.14"),
    pytest.param("torch.cuda.frobnicate()", [("GM100", 2)], id="unknown"),
    pytest.param("if torch.cuda.get_device_capability()[0] >= 8:\n    pass", [("GM202", 2)], id="capability"),
    pytest.param("p = torch.cuda.get_device_properties(0)", [("GM203", 2)], id="properties"),
    pytest.param("if torch.version.cuda:\n    pass", [("GM204", 2)], id="version"),
    pytest.param("g = torch.cuda.CUDAGraph()", [("GM205", 2)], id="graphs"),
    pytest.param("f(a,\n  torch.cuda.utilization())", [("GM102", 3)], id="token-line-in-multiline"),
])
def test_findings(src, expected):
    assert finding_ids(f"import torch\n{src}\n") == expected


def test_missing_api_stays_unchanged():
    result = convert("import torch\nx = torch.cuda.utilization()\ntorch.cuda.synchronize()\n")
    assert result.text == "import torch\nimport torch_mlu\nx = torch.cuda.utilization()\ntorch.mlu.synchronize()\n"


def test_missing_api_through_converted_alias_is_respelled():
    # tc now means torch.mlu, which has no utilization(): keep the CUDA spelling, and report it
    result = convert("import torch\nimport torch.cuda as tc\ntc.utilization()\n")
    assert "torch.cuda.utilization()" in result.text
    assert [f.id for f in result.findings] == ["GM102"]


@pytest.mark.parametrize("line", ["2.1", "2.3", "2.4"])
def test_every_torch_cuda_member_in_the_table_converts(line):
    """Each torch.cuda row of the table, used the usual way, converts to its target."""
    from gpu2mlu.rules import load_ruleset
    rules = load_ruleset(line)
    for entry in rules.entries.values():
        if not entry.name.startswith("torch.cuda.") or entry.is_module or entry.call:
            continue
        src = f"import torch\nx = {entry.name}\n"
        expected = entry.target or entry.name
        out = convert(src, line).text
        assert f"x = {expected}\n" in out, (entry.name, out)
