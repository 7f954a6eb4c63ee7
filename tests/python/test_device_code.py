"""Code that builds, matches or looks up device strings: string methods, `in` tests,
concatenation, f-strings without placeholders and dicts keyed by device type."""
import pytest

from tests.python.helpers import assert_converts, assert_unchanged, convert, finding_ids

H = "import torch\nimport torch_mlu\n"


def both(before, after):
    return f"import torch\n{before}\n", f"{H}{after}\n"


# ---------------------------------------------------------------- string methods and `in`

@pytest.mark.parametrize("before, after", [
    pytest.param("if device.startswith('cuda:'):\n    torch.cuda.set_device(device)",
                 "if device.startswith('mlu:'):\n    torch.mlu.set_device(device)", id="startswith"),
    pytest.param("i = int(str(device).replace('cuda:', ''))", "i = int(str(device).replace('mlu:', ''))", id="replace-through-str"),
    pytest.param("i = dev.split(\"cuda:\")[1]", "i = dev.split(\"mlu:\")[1]", id="split"),
    pytest.param("i = args.device.removeprefix('cuda:')", "i = args.device.removeprefix('mlu:')", id="removeprefix-attribute"),
    pytest.param("ok = x.device.type.startswith(('cuda:', 'cpu'))", "ok = x.device.type.startswith(('mlu:', 'cpu'))", id="tuple-argument"),
    pytest.param("ok = cur_dev.lower().find('cuda:') >= 0", "ok = cur_dev.lower().find('mlu:') >= 0", id="find-after-lower"),
    pytest.param("ok = 'cuda:' in str(device)", "ok = 'mlu:' in str(device)", id="membership"),
    pytest.param("ok = 'cuda:' not in self.devices[0]", "ok = 'mlu:' not in self.devices[0]", id="not-in-subscript"),
    pytest.param("ok = dev.endswith('cuda')", "ok = dev.endswith('mlu')", id="whole-device-argument"),
    pytest.param("ok = device.startswith('cuda:0')", "ok = device.startswith('mlu:0')", id="whole-device-with-index"),
])
def test_string_methods(before, after):
    assert_converts(*both(before, after))


@pytest.mark.parametrize("src", [
    pytest.param("ok = line.startswith('cuda:')", id="receiver-not-a-device"),
    pytest.param("ok = path.startswith('/usr/local/cuda')", id="path"),
    pytest.param("ok = name.startswith('cudnn')", id="cudnn"),
    pytest.param("k = key.replace('cuda_', '')", id="name-containing-cuda"),
    pytest.param("ok = device.startswith('cuda_graph')", id="longer-word-on-a-device"),
    pytest.param("ok = msg.startswith('CUDA error: out of memory')", id="prose"),
    pytest.param("ok = 'Using cuda:' in banner", id="prose-membership"),
    pytest.param("ok = dev[:5] == 'cuda:'", id="slice-comparison"),
    pytest.param("print('cuda:' + str(i))", id="print"),
    pytest.param("logger.info('cuda:' + str(i))", id="log"),
    pytest.param("raise ValueError('cuda:' + str(i))", id="exception-message"),
])
def test_string_code_that_stays(src):
    assert_unchanged(f"{H}{src}\n")


@pytest.mark.parametrize("src, expected", [
    pytest.param("ok = line.startswith('cuda:')", [("GM215", 3)], id="receiver-not-a-device"),
    pytest.param("ok = dev[:5] == 'cuda:'", [("GM215", 3)], id="slice-comparison"),
    pytest.param("label = 'cuda:' + str(i)", [("GM215", 3)], id="concatenation-outside-a-device-position"),
    pytest.param("ok = path.startswith('/usr/local/cuda')", [], id="path"),
    pytest.param("print('cuda:' + str(i))", [], id="print"),
    pytest.param("raise ValueError('cuda:' + str(i))", [], id="exception-message"),
    pytest.param("v = table['cuda:']", [], id="subscript"),
])
def test_device_prefixes_that_stay_are_reported(src, expected):
    assert finding_ids(f"{H}{src}\n") == expected


# ---------------------------------------------------------------- concatenation

@pytest.mark.parametrize("before, after", [
    pytest.param("d = torch.device('cuda:' + str(i))", "d = torch.device('mlu:' + str(i))", id="torch-device"),
    pytest.param("x = x.to('cuda:' + str(rank) + '')", "x = x.to('mlu:' + str(rank) + '')", id="to"),
    pytest.param("torch.cuda.set_device('cuda:' + str(rank))", "torch.mlu.set_device('mlu:' + str(rank))", id="set-device"),
    pytest.param("s = torch.load(f, map_location='cuda:' + str(rank))", "s = torch.load(f, map_location='mlu:' + str(rank))", id="map-location"),
    pytest.param("self.device = 'cuda:' + str(rank)", "self.device = 'mlu:' + str(rank)", id="assignment"),
    pytest.param("devs = ['cuda:' + str(i) for i in range(n)]", "devs = ['mlu:' + str(i) for i in range(n)]", id="comprehension"),
    pytest.param("dev = 'cuda:' + str(i) if ok else 'cpu'", "dev = 'mlu:' + str(i) if ok else 'cpu'", id="conditional"),
    pytest.param("ok = dev == 'cuda:' + str(rank)", "ok = dev == 'mlu:' + str(rank)", id="comparison"),
    pytest.param("cfg = {'device': 'cuda:' + str(rank)}", "cfg = {'device': 'mlu:' + str(rank)}", id="dict-value"),
    pytest.param("def get_device(i):\n    return 'cuda:' + str(i)", "def get_device(i):\n    return 'mlu:' + str(i)", id="return"),
    pytest.param("def f(device='cuda:' + '0'):\n    pass", "def f(device='mlu:' + '0'):\n    pass", id="default"),
    pytest.param("DEVICE_PREFIX = 'cuda:'", "DEVICE_PREFIX = 'mlu:'", id="prefix-constant"),
    pytest.param("d = torch.device('cuda' + ':' + str(i))", "d = torch.device('mlu' + ':' + str(i))", id="device-plus-colon"),
    pytest.param("d = 'cuda:%d' % i", "d = 'mlu:%d' % i", id="percent-still"),
])
def test_concatenation(before, after):
    assert_converts(*both(before, after))


# ---------------------------------------------------------------- f-strings without placeholders

@pytest.mark.parametrize("before, after", [
    pytest.param("d = f'cuda'", "d = f'mlu'", id="device"),
    pytest.param("d = f\"cuda:0\"", "d = f\"mlu:0\"", id="device-index"),
    pytest.param("b = rf'nccl'", "b = rf'cncl'", id="backend-raw"),
    pytest.param("x = x.to(f'cuda')", "x = x.to(f'mlu')", id="argument"),
])
def test_fstrings_without_placeholders(before, after):
    assert_converts(*both(before, after))


@pytest.mark.parametrize("src", [
    pytest.param("s = f'cuda_{x}'", id="placeholder-not-a-device"),
    pytest.param("s = f'{{cuda}}'", id="escaped-braces"),
    pytest.param("s = f'Using cuda'", id="prose"),
    pytest.param("print(f'cuda')", id="print"),
    pytest.param("s = f'cu' 'da'", id="implicit-concatenation"),
])
def test_fstrings_that_stay(src):
    assert_unchanged(f"{H}{src}\n")


# ---------------------------------------------------------------- dicts keyed by device type

@pytest.mark.parametrize("before, after", [
    pytest.param("b = {'xpu': 'ccl', 'cuda': 'nccl'}", "b = {'xpu': 'ccl', 'mlu': 'cncl'}", id="backend-values"),
    pytest.param("b = {'cuda': 'nccl'}", "b = {'mlu': 'cncl'}", id="single-backend"),
    pytest.param("b = dict(cuda='nccl', cpu='gloo')", "b = dict(mlu='cncl', cpu='gloo')", id="dict-call"),
    pytest.param("n = {'cuda': 0, 'cpu': 0}", "n = {'mlu': 0, 'cpu': 0}", id="other-keys-are-devices"),
    pytest.param("m = {'cuda:0': 'cuda:1'}", "m = {'mlu:0': 'mlu:1'}", id="device-values"),
    pytest.param("c = {'cuda': 1, 'other': 2}[device.type]", "c = {'mlu': 1, 'other': 2}[device.type]", id="indexed-in-place"),
    pytest.param("MEM = {'cuda': torch.cuda.memory_allocated, 'x': f}\nused = MEM[x.device.type]()",
                 "MEM = {'mlu': torch.mlu.memory_allocated, 'x': f}\nused = MEM[x.device.type]()", id="indexed-by-name"),
    pytest.param("MEM = {'cuda': f}\nused = MEM.get(device_type)", "MEM = {'mlu': f}\nused = MEM.get(device_type)", id="get-by-name"),
    pytest.param("B = {'cpu': 'gloo', 'cuda': 'nccl'}\nb = B['cuda']", "B = {'cpu': 'gloo', 'mlu': 'cncl'}\nb = B['mlu']", id="literal-lookup-follows"),
])
def test_device_keyed_dicts(before, after):
    assert_converts(*both(before, after))


@pytest.mark.parametrize("src", [
    pytest.param("info = {'cuda': torch.version.cuda}", id="environment-fact"),
    pytest.param("info = {'cuda': torch.version.cuda, 'cudnn': v, 'python': sys.version}", id="environment-facts"),
    pytest.param("info = dict(cuda=torch.version.cuda)", id="environment-fact-call"),
    pytest.param("info = {'cpu': platform.processor(), 'cuda': torch.version.cuda}", id="environment-facts-device-keys"),
    pytest.param("counts = {'cuda': 1}", id="single-key-number"),
    pytest.param("stats = {'cuda': 1}\nv = stats['cuda']", id="lookup-of-a-plain-dict"),
    pytest.param("v = stats['cuda']", id="lookup-of-an-unknown-dict"),
    pytest.param("d = {'cuda_time': 1, 'cpu_time': 2}", id="keys-containing-cuda"),
])
def test_dicts_that_stay(src):
    assert_unchanged(f"{H}{src}\n")
