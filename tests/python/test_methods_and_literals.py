"""Tensor/module methods and device strings, wherever they stand."""
import pytest

from tests.python.helpers import assert_converts, assert_unchanged

H = "import torch\nimport torch_mlu\n"


@pytest.mark.parametrize("before, after", [
    pytest.param("x = x.cuda()", "x = x.mlu()", id="method"),
    pytest.param("x = x.cuda(0)", "x = x.mlu(0)", id="method-index"),
    pytest.param("x = x.cuda(non_blocking=True)", "x = x.mlu(non_blocking=True)", id="method-keyword"),
    pytest.param("model.cuda(args.gpu)", "model.mlu(args.gpu)", id="module"),
    pytest.param("y = torch.zeros(3).cuda().float()", "y = torch.zeros(3).mlu().float()", id="chained"),
    pytest.param("ok = x.is_cuda", "ok = x.is_mlu", id="is-cuda"),
    pytest.param("f = torch.Tensor.cuda", "f = torch.Tensor.mlu", id="unbound-method"),
    pytest.param("x = x.to('cuda')", "x = x.to('mlu')", id="to-device"),
    pytest.param("x = x.to(\"cuda:1\")", "x = x.to(\"mlu:1\")", id="double-quotes"),
    pytest.param("d = torch.device('cuda', 0)", "d = torch.device('mlu', 0)", id="device-and-index"),
    pytest.param("d = torch.device('cuda' if ok else 'cpu')", "d = torch.device('mlu' if ok else 'cpu')", id="conditional"),
    pytest.param("d = 'cuda:{}'.format(i)", "d = 'mlu:{}'.format(i)", id="format"),
    pytest.param("d = 'cuda:{rank}'.format(rank=r)", "d = 'mlu:{rank}'.format(rank=r)", id="format-named"),
    pytest.param("d = 'cuda:%d' % i", "d = 'mlu:%d' % i", id="percent"),
    pytest.param("d = f'cuda:{rank}'", "d = f'mlu:{rank}'", id="f-string"),
    pytest.param("d = F\"cuda:{rank}\"", "d = F\"mlu:{rank}\"", id="f-string-upper"),
    pytest.param("if x.device.type == 'cuda':\n    pass", "if x.device.type == 'mlu':\n    pass", id="comparison"),
    pytest.param("if 'cuda' in str(d):\n    pass", "if 'mlu' in str(d):\n    pass", id="membership"),
    pytest.param("p.add_argument('--device', default='cuda', choices=['cuda', 'cpu'])",
                 "p.add_argument('--device', default='mlu', choices=['mlu', 'cpu'])", id="argparse"),
    pytest.param("def f(device='cuda'):\n    pass", "def f(device='mlu'):\n    pass", id="default-argument"),
    pytest.param("DEV = 'cuda'\nx = x.to(DEV)", "DEV = 'mlu'\nx = x.to(DEV)", id="through-a-variable"),
    pytest.param("s = torch.load(f, map_location='cuda:0')", "s = torch.load(f, map_location='mlu:0')", id="map-location"),
    pytest.param("s = torch.load(f, map_location={'cuda:1': 'cuda:0'})",
                 "s = torch.load(f, map_location={'mlu:1': 'mlu:0'})", id="map-location-dict"),
    pytest.param("with torch.autocast(device_type='cuda'):\n    pass",
                 "with torch.autocast(device_type='mlu'):\n    pass", id="autocast-device-type"),
    pytest.param("g = torch.Generator(device='cuda')", "g = torch.Generator(device='mlu')", id="generator"),
    pytest.param("x = u'cuda'", "x = u'mlu'", id="u-prefix"),
    pytest.param("x = '''cuda'''", "x = '''mlu'''", id="triple-quoted"),
    pytest.param("x = x.cuda()  # 将模型移动到 GPU 上", "x = x.mlu()  # 将模型移动到 GPU 上", id="chinese-comment"),
    pytest.param("s = '中文'; x = x.cuda(); d = 'cuda'", "s = '中文'; x = x.mlu(); d = 'mlu'", id="chinese-before-on-the-line"),
    pytest.param("t = x.sort(key='cuda_time_total')", "t = x.sort(key='mlu_time_total')", id="profiler-key"),
])
def test_rewrites(before, after):
    assert_converts(f"import torch\n{before}\n", f"{H}{after}\n")


@pytest.mark.parametrize("src", [
    pytest.param("use_cuda = not args.no_cuda", id="identifiers"),
    pytest.param("if args.cuda:\n    pass", id="attribute-not-called"),
    pytest.param("p.add_argument('--no-cuda', action='store_true')", id="cli-flag"),
    pytest.param("ngpus_per_node = 2", id="gpu-identifier"),
    pytest.param("# move to cuda\nx = 1", id="comment"),
    pytest.param('def f():\n    """Runs on cuda."""', id="docstring"),
    pytest.param('def f():\n    """cuda"""', id="docstring-whole-value"),
    pytest.param("print('Using CUDA')", id="print-text"),
    pytest.param("print('cuda')", id="print-whole-value"),
    pytest.param("logger.info('cuda')", id="log-whole-value"),
    pytest.param("path = '/usr/local/cuda'", id="path"),
    pytest.param("url = 'https://developer.nvidia.com/cuda-downloads'", id="url"),
    pytest.param("stats = {'cuda': 1}", id="dict-key"),
    pytest.param("info = {'cuda': torch.version.cuda, 'torch': torch.__version__}", id="dict-key-environment-facts"),
    pytest.param("v = stats['cuda']", id="subscript-key"),
    pytest.param("x = b'cuda'", id="bytes"),
    pytest.param("x = 'cu' 'da'", id="implicit-concatenation"),
    pytest.param("x = '\\x63uda'", id="escaped"),
    pytest.param("x = 'CUDA'", id="upper-case"),
    pytest.param("x = 'cudas'", id="longer-word"),
    pytest.param("from numba import cuda\n@cuda.jit\ndef k(a):\n    pass", id="numba-cuda"),
    pytest.param("import numba\nnumba.cuda.synchronize()", id="numba-cuda-attribute"),
    pytest.param("import cupy as cp\nd = cp.cuda.Device(0)\nd.use()", id="cupy"),
    pytest.param("import pycuda.driver as drv\ndrv.init()", id="pycuda"),
    pytest.param("x = torch.mlu.is_available()", id="already-mlu"),
    pytest.param("x = x.to('mlu')", id="already-mlu-device"),
    pytest.param("torch.backends.cudnn.benchmark = True\ntorch.backends.cudnn.deterministic = True", id="cudnn-flags"),
])
def test_must_not_change(src):
    # the file imports torch, so only the torch_mlu line may be added
    src = f"import torch\nimport torch_mlu\n{src}\n"
    assert_unchanged(src)
