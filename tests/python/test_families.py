"""Distributed, AMP, backends, profiler, environment variables and C++ extensions."""
import pytest

from tests.python.helpers import assert_converts, assert_unchanged, convert, dedent, finding_ids

H = "import torch\nimport torch_mlu\n"


def both(before, after):
    return f"import torch\n{before}\n", f"{H}{after}\n"


@pytest.mark.parametrize("before, after", [
    pytest.param("dist.init_process_group('nccl')", "dist.init_process_group('cncl')", id="positional"),
    pytest.param("dist.init_process_group(backend='nccl', init_method=url)", "dist.init_process_group(backend='cncl', init_method=url)", id="keyword"),
    pytest.param("dist.init_process_group(init_method=url, backend=\"nccl\")", "dist.init_process_group(init_method=url, backend=\"cncl\")", id="reordered"),
    pytest.param("if args.dist_backend == 'nccl':\n    pass", "if args.dist_backend == 'cncl':\n    pass", id="comparison"),
    pytest.param("dist.init_process_group('cuda:nccl')", "dist.init_process_group('mlu:cncl')", id="device-backend"),
    pytest.param("dist.init_process_group('cpu:gloo,cuda:nccl')", "dist.init_process_group('cpu:gloo,mlu:cncl')", id="backend-list"),
    pytest.param("b = torch.distributed.Backend.NCCL", "b = torch.distributed.Backend.CNCL", id="backend-enum"),
    pytest.param("ok = torch.distributed.is_nccl_available()", "ok = torch.distributed.is_cncl_available()", id="is-available"),
    pytest.param("p.add_argument('--dist-backend', default='nccl', choices=['nccl', 'gloo'])",
                 "p.add_argument('--dist-backend', default='cncl', choices=['cncl', 'gloo'])", id="argparse"),
])
def test_distributed(before, after):
    assert_converts(*both(before, after))


def test_distributed_through_alias():
    assert_converts(
        "import torch.distributed as dist\nif dist.is_nccl_available():\n    b = dist.Backend.NCCL\n",
        "import torch.distributed as dist\nimport torch_mlu\nif dist.is_cncl_available():\n    b = dist.Backend.CNCL\n")


def test_from_import_is_nccl_available_goes_after_torch_mlu():
    assert_converts(
        "import torch\nfrom torch.distributed import is_nccl_available\nok = is_nccl_available()\n",
        "import torch\nimport torch_mlu\nfrom torch.distributed import is_cncl_available\nok = is_cncl_available()\n")


@pytest.mark.parametrize("src, expected", [
    pytest.param("m = torch.nn.DataParallel(m)", [("GM201", 2)], id="dataparallel"),
    pytest.param("m = torch.nn.parallel.DataParallel(m)", [("GM201", 2)], id="parallel-module"),
])
def test_data_parallel_findings(src, expected):
    assert finding_ids(f"import torch\n{src}\n") == expected


def test_data_parallel_through_imports():
    src = "import torch.nn as nn\nfrom torch.nn import DataParallel\na = nn.DataParallel(m)\nb = DataParallel(m)\n"
    assert finding_ids(src) == [("GM201", 3), ("GM201", 4)]


# AMP: positional, keyword, reordered, omitted defaults; the 2.4 and 2.1 spellings.
@pytest.mark.parametrize("before, after", [
    pytest.param("with torch.cuda.amp.autocast():\n    pass", "with torch.amp.autocast('mlu'):\n    pass", id="autocast-no-args"),
    pytest.param("with torch.cuda.amp.autocast(enabled=use_amp):\n    pass", "with torch.amp.autocast('mlu', enabled=use_amp):\n    pass", id="autocast-keyword"),
    pytest.param("with torch.cuda.amp.autocast(True, torch.bfloat16):\n    pass",
                 "with torch.amp.autocast('mlu', enabled=True, dtype=torch.bfloat16):\n    pass", id="autocast-positional"),
    pytest.param("with torch.cuda.amp.autocast(dtype=torch.float16, enabled=True):\n    pass",
                 "with torch.amp.autocast('mlu', dtype=torch.float16, enabled=True):\n    pass", id="autocast-reordered"),
    pytest.param("with torch.cuda.amp.autocast(**amp_kwargs):\n    pass", "with torch.amp.autocast('mlu', **amp_kwargs):\n    pass", id="autocast-kwargs"),
    pytest.param("with torch.cuda.amp.autocast(\n    enabled=True,\n):\n    pass",
                 "with torch.amp.autocast(\n    'mlu', enabled=True,\n):\n    pass", id="autocast-multiline"),
    pytest.param("@torch.cuda.amp.autocast()\ndef f():\n    pass", "@torch.amp.autocast('mlu')\ndef f():\n    pass", id="autocast-decorator"),
    pytest.param("s = torch.cuda.amp.GradScaler()", "s = torch.amp.GradScaler('mlu')", id="scaler-no-args"),
    pytest.param("s = torch.cuda.amp.GradScaler(init_scale=2.0**16)", "s = torch.amp.GradScaler('mlu', init_scale=2.0**16)", id="scaler-keyword"),
    pytest.param("s = torch.cuda.amp.GradScaler(65536.0, 2.0)", "s = torch.amp.GradScaler('mlu', 65536.0, 2.0)", id="scaler-positional"),
    pytest.param("s = torch.amp.GradScaler()", "s = torch.amp.GradScaler('mlu')", id="generic-scaler-without-device"),
    pytest.param("s = torch.amp.GradScaler(enabled=ok)", "s = torch.amp.GradScaler('mlu', enabled=ok)", id="generic-scaler-keyword"),
    pytest.param("s = torch.amp.GradScaler('cuda')", "s = torch.amp.GradScaler('mlu')", id="generic-scaler-cuda"),
    pytest.param("s = torch.amp.GradScaler(device='cuda', enabled=ok)", "s = torch.amp.GradScaler(device='mlu', enabled=ok)", id="generic-scaler-device-keyword"),
    pytest.param("dt = torch.get_autocast_gpu_dtype()", "dt = torch.get_autocast_dtype('mlu')", id="get-dtype"),
    pytest.param("torch.set_autocast_gpu_dtype(torch.bfloat16)", "torch.set_autocast_dtype('mlu', torch.bfloat16)", id="set-dtype"),
    pytest.param("on = torch.is_autocast_enabled()", "on = torch.is_autocast_enabled('mlu')", id="is-enabled"),
    pytest.param("on = torch.is_autocast_enabled('cpu')", "on = torch.is_autocast_enabled('cpu')", id="is-enabled-other-device"),
    pytest.param("torch.set_autocast_enabled(True)", "torch.set_autocast_enabled('mlu', True)", id="set-enabled"),
    pytest.param("@torch.cuda.amp.custom_fwd\ndef forward(ctx, x):\n    pass",
                 "@torch.amp.custom_fwd(device_type='mlu')\ndef forward(ctx, x):\n    pass", id="custom-fwd-bare"),
    pytest.param("@torch.cuda.amp.custom_fwd(cast_inputs=torch.float32)\ndef forward(ctx, x):\n    pass",
                 "@torch.amp.custom_fwd(cast_inputs=torch.float32, device_type='mlu')\ndef forward(ctx, x):\n    pass", id="custom-fwd-call"),
    pytest.param("@torch.cuda.amp.custom_bwd\ndef backward(ctx, g):\n    pass",
                 "@torch.amp.custom_bwd(device_type='mlu')\ndef backward(ctx, g):\n    pass", id="custom-bwd"),
])
def test_amp(before, after):
    assert_converts(*both(before, after))


def test_amp_from_imports():
    assert_converts(dedent("""
        import torch
        from torch.cuda.amp import GradScaler, autocast
        scaler = GradScaler(enabled=args.amp)
        with autocast(enabled=args.amp):
            pass
    """), dedent("""
        import torch
        import torch_mlu
        from torch.amp import GradScaler, autocast
        scaler = GradScaler('mlu', enabled=args.amp)
        with autocast('mlu', enabled=args.amp):
            pass
    """))


def test_amp_module_alias():
    assert_converts(
        "import torch\nfrom torch.cuda import amp\ns = amp.GradScaler()\n",
        "import torch\nimport torch_mlu\nfrom torch import amp\ns = amp.GradScaler('mlu')\n")


@pytest.mark.parametrize("before, after", [
    pytest.param("with torch.cuda.amp.autocast(enabled=True):\n    pass", "with torch.mlu.amp.autocast(enabled=True):\n    pass", id="autocast"),
    pytest.param("s = torch.cuda.amp.GradScaler()", "s = torch.mlu.amp.GradScaler()", id="scaler"),
    pytest.param("dt = torch.get_autocast_gpu_dtype()", "dt = torch.mlu.get_autocast_dtype()", id="get-dtype"),
    pytest.param("on = torch.is_autocast_enabled()", "on = torch.mlu.is_autocast_enabled()", id="is-enabled"),
])
def test_amp_on_the_2_1_line(before, after):
    assert_converts(*both(before, after), line="2.1")


def test_amp_2_1_from_import():
    assert_converts("import torch\nfrom torch.cuda.amp import autocast\n",
                    "import torch\nimport torch_mlu\nfrom torch.mlu.amp import autocast\n", line="2.1")


def test_autocast_object_without_call_is_reported():
    assert finding_ids("import torch\nctx = torch.cuda.amp.autocast\n") == [("GM211", 2)]


def test_autocast_with_starred_arguments_is_reported():
    assert finding_ids("import torch\nwith torch.cuda.amp.autocast(*a):\n    pass\n") == [("GM213", 2)]


@pytest.mark.parametrize("before, after", [
    pytest.param("torch.backends.cuda.matmul.allow_tf32 = True", "torch.backends.mlu.matmul.allow_tf32 = True", id="matmul-tf32"),
    pytest.param("torch.backends.cudnn.allow_tf32 = True", "torch.backends.cnnl.allow_tf32 = True", id="cudnn-tf32"),
    pytest.param("torch.backends.cudnn.enabled = False", "torch.backends.mlufusion.enabled = False", id="cudnn-enabled"),
    pytest.param("torch.backends.cuda.enable_flash_sdp(False)", "torch.backends.mlu.enable_flash_sdp(False)", id="sdp"),
    pytest.param("c = torch.backends.cuda.cufft_plan_cache", "c = torch.backends.mlu.cnfft_plan_cache", id="fft-cache"),
])
def test_backends(before, after):
    assert_converts(*both(before, after))


def test_backends_through_aliases():
    assert_converts(dedent("""
        import torch
        import torch.backends.cudnn as cudnn
        from torch.backends import cuda as bc
        cudnn.benchmark = True
        cudnn.allow_tf32 = True
        bc.matmul.allow_tf32 = True
    """), dedent("""
        import torch
        import torch_mlu
        import torch.backends.cudnn as cudnn
        from torch.backends import mlu as bc
        cudnn.benchmark = True
        torch.backends.cnnl.allow_tf32 = True
        bc.matmul.allow_tf32 = True
    """))


def test_backends_alias_without_torch_adds_import_torch():
    result = convert("import torch.backends.cudnn as cudnn\ncudnn.allow_tf32 = True\n")
    assert result.text == (
        "import torch.backends.cudnn as cudnn\nimport torch_mlu\nimport torch\ntorch.backends.cnnl.allow_tf32 = True\n")


def test_cudnn_enabled_is_reported():
    assert finding_ids("import torch\ntorch.backends.cudnn.enabled = False\n") == [("GM206", 2)]


def test_missing_backend_flag_is_reported_and_kept():
    src = "import torch\ntorch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = True\n"
    result = convert(src)
    assert "torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction" in result.text
    assert [f.id for f in result.findings] == ["GM106"]


@pytest.mark.parametrize("before, after", [
    pytest.param("a = [ProfilerActivity.CPU, ProfilerActivity.CUDA]", "a = [ProfilerActivity.CPU, ProfilerActivity.MLU]", id="activity"),
    pytest.param("with torch.autograd.profiler.profile(use_cuda=True) as p:\n    pass",
                 "with torch.autograd.profiler.profile(use_device='mlu') as p:\n    pass", id="use-cuda-true"),
    pytest.param("with torch.autograd.profiler.profile(use_cuda=args.cuda) as p:\n    pass",
                 "with torch.autograd.profiler.profile(use_device='mlu' if args.cuda else None) as p:\n    pass", id="use-cuda-variable"),
    pytest.param("with torch.autograd.profiler.profile(use_device='cuda') as p:\n    pass",
                 "with torch.autograd.profiler.profile(use_device='mlu') as p:\n    pass", id="use-device"),
    pytest.param("print(p.key_averages().table(sort_by='cuda_time_total'))",
                 "print(p.key_averages().table(sort_by='mlu_time_total'))", id="sort-key"),
    pytest.param("p.export_stacks(path, 'self_cuda_time_total')", "p.export_stacks(path, 'self_mlu_time_total')", id="metric"),
    pytest.param("with torch.autograd.profiler.emit_nvtx():\n    pass", "with torch.autograd.profiler.emit_cnpx():\n    pass", id="emit-nvtx"),
])
def test_profiler(before, after):
    before = "from torch.profiler import ProfilerActivity\n" + before
    after = "from torch.profiler import ProfilerActivity\n" + after
    assert_converts(*both(before, after))


@pytest.mark.parametrize("before, after", [
    pytest.param("os.environ['CUDA_VISIBLE_DEVICES'] = '0,1'", "os.environ['MLU_VISIBLE_DEVICES'] = '0,1'", id="environ-set"),
    pytest.param("v = os.getenv('CUDA_VISIBLE_DEVICES', '')", "v = os.getenv('MLU_VISIBLE_DEVICES', '')", id="getenv"),
    pytest.param("os.environ.setdefault('PYTORCH_CUDA_ALLOC_CONF', 'expandable_segments:True')",
                 "os.environ.setdefault('PYTORCH_MLU_ALLOC_CONF', 'expandable_segments:True')", id="alloc-conf"),
    pytest.param("os.environ['TORCH_NCCL_BLOCKING_WAIT'] = '1'", "os.environ['TORCH_CNCL_BLOCKING_WAIT'] = '1'", id="torch-nccl"),
    pytest.param("env = {'CUDA_VISIBLE_DEVICES': '0'}", "env = {'MLU_VISIBLE_DEVICES': '0'}", id="dict-key"),
])
def test_env_vars(before, after):
    assert_converts(*both("import os\n" + before, "import os\n" + after))


@pytest.mark.parametrize("src, expected", [
    pytest.param("os.environ['CUDA_LAUNCH_BLOCKING'] = '1'", [("GM401", 2)], id="no-equivalent"),
    pytest.param("os.environ['NCCL_DEBUG'] = 'INFO'", [("GM402", 2)], id="nccl-tuning"),
    pytest.param("os.environ['TORCH_CUDA_ARCH_LIST'] = '8.0'", [("GM403", 2)], id="different-values"),
    pytest.param("h = os.environ['CUDA_HOME']", [("GM405", 2)], id="toolkit-home"),
    pytest.param("h = os.environ.get('CUDA_PATH', '/usr/local/cuda')", [("GM405", 2)], id="toolkit-path"),
    pytest.param("if 'CUDA_HOME' in os.environ:\n    pass", [("GM405", 2)], id="toolkit-build-gate"),
    pytest.param("os.environ['CUDA_DEVICE_MAX_CONNECTIONS'] = '1'", [("GM404", 2)], id="unknown-cuda-variable"),
    pytest.param("n = os.getenv('CUDA_DEVICE_MAX_CONNECTIONS')", [("GM404", 2)], id="unknown-cuda-variable-read"),
    pytest.param("env = {'CUDA_MPS_PIPE_DIRECTORY': d}", [("GM404", 2)], id="unknown-cuda-variable-dict-key"),
])
def test_env_findings(src, expected):
    assert finding_ids(f"import os\n{src}\n") == expected


def test_different_values_rename_carries_the_advice():
    (finding,) = convert("import os\nos.environ['TORCH_CUDA_ARCH_LIST'] = '8.0'\n").findings
    assert "TORCH_BANG_ARCH_LIST" in finding.message and "TORCH_BANG_ARCH_LIST=" in finding.suggestion


@pytest.mark.parametrize("src", [
    pytest.param("h = os.environ.get('CUDA_HOME')", id="toolkit-home"),
    pytest.param("root = os.environ.get('CUDA_PATH', '/usr/local/cuda')\nnvcc = os.path.join(root, 'bin', 'nvcc')",
                 id="toolkit-path-then-nvcc"),
    pytest.param("if 'CUDA_HOME' in os.environ:\n    ext_modules.append(cuda_ext)", id="toolkit-build-gate"),
    pytest.param("os.environ.setdefault('CUDA_TOOLKIT_ROOT_DIR', '/opt/cuda')", id="toolkit-root"),
    pytest.param("os.environ['CUDA_DEVICE_MAX_CONNECTIONS'] = '1'", id="unknown-cuda-variable"),
    pytest.param("x = os.environ.get('CUDA_')", id="bare-prefix"),
])
def test_env_names_that_stay(src):
    assert_unchanged(f"import os\nimport torch\nimport torch_mlu\n{src}\n")


def test_toolkit_finding_suggests_neuware_without_renaming():
    (finding,) = convert("import os\nh = os.environ['CUDA_HOME']\n").findings
    assert "CUDA_HOME" in finding.message and "NEUWARE_HOME" in finding.suggestion


def test_runtime_variables_keep_converting_next_to_toolkit_paths():
    assert_converts(
        "import os\nimport torch\nif 'CUDA_HOME' in os.environ:\n    os.environ['CUDA_VISIBLE_DEVICES'] = '0'\n",
        "import os\nimport torch\nimport torch_mlu\nif 'CUDA_HOME' in os.environ:\n    os.environ['MLU_VISIBLE_DEVICES'] = '0'\n")


def test_cpp_extension_from_imports():
    assert_converts(dedent("""
        import torch
        from torch.utils.cpp_extension import load
        ext = load(name='ops', sources=['ops.cpp', 'ops.cu'], extra_cuda_cflags=['-O3'], with_cuda=True)
    """), dedent("""
        import torch
        import torch_mlu
        from torch_mlu.utils.cpp_extension import load
        ext = load(name='ops', sources=['ops.cpp', 'ops.cu'], extra_bang_cflags=['-O3'], with_bang=True)
    """))


def test_cpp_extension_setup_split_import():
    assert_converts(dedent("""
        import torch
        from torch.utils.cpp_extension import BuildExtension, CppExtension, CUDAExtension
        ext = CUDAExtension('ops', ['ops.cpp', 'kernel.cu'])
    """), dedent("""
        import torch
        import torch_mlu
        from torch_mlu.utils.cpp_extension import BuildExtension, MLUExtension
        from torch.utils.cpp_extension import CppExtension
        ext = MLUExtension('ops', ['ops.cpp', 'kernel.cu'])
    """))


def test_cpp_extension_attribute_chain_adds_the_submodule_import():
    assert_converts(
        "import torch\nimport torch.utils.cpp_extension\nm = torch.utils.cpp_extension.load_inline('m', cpp, cuda_sources=cu)\n",
        "import torch\nimport torch_mlu\nimport torch_mlu.utils.cpp_extension\nimport torch.utils.cpp_extension\n"
        "m = torch_mlu.utils.cpp_extension.load_inline('m', cpp, bang_sources=cu)\n")


def test_cpp_extension_is_reported():
    ids = finding_ids("import torch\nfrom torch.utils.cpp_extension import load_inline\nm = load_inline('m', cpp)\n")
    assert ids == [("GM302", 3)]


@pytest.mark.parametrize("src, package", [
    pytest.param("import apex", "apex", id="apex"),
    pytest.param("from apex import amp", "apex", id="apex-from"),
    pytest.param("import cupy as cp", "cupy", id="cupy"),
    pytest.param("from numba import cuda", "numba.cuda", id="numba-cuda"),
    pytest.param("import pycuda.autoinit", "pycuda", id="pycuda"),
    pytest.param("from flash_attn import flash_attn_func", "flash_attn", id="flash-attn"),
    pytest.param("import xformers.ops as xops", "xformers", id="xformers"),
    pytest.param("import bitsandbytes as bnb", "bitsandbytes", id="bitsandbytes"),
    pytest.param("import triton\nimport triton.language as tl", "triton", id="triton"),
    pytest.param("import pynvml", "pynvml", id="pynvml"),
])
def test_cuda_only_packages(src, package):
    findings = convert(src + "\n").findings
    assert findings and all(f.id == "GM301" and package in f.message for f in findings)


def test_numba_without_cuda_is_fine():
    assert convert("import numba\nfrom numba import jit\n").findings == ()


@pytest.mark.parametrize("src, expected", [
    pytest.param("f = torch.jit.script(m)", [("GM207", 2)], id="script"),
    pytest.param("@torch.jit.script\ndef f(x):\n    return x", [("GM207", 2)], id="script-decorator"),
    pytest.param("t = torch.jit.trace(m, x)", [("GM207", 2)], id="trace"),
    pytest.param("m = torch.compile(m)", [("GM208", 2)], id="compile"),
])
def test_jit_and_compile(src, expected):
    assert finding_ids(f"import torch\n{src}\n") == expected


def test_compile_is_fine_on_the_2_3_line():
    assert finding_ids("import torch\nm = torch.compile(m)\n", line="2.3") == []
