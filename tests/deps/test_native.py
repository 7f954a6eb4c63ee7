"""C, C++ and CUDA sources: one finding per file that uses CUDA, counted in code only."""
import re

import pytest

from gpu2mlu.kinds import NATIVE, TRIGGERS
from gpu2mlu.native import convert_native
from gpu2mlu.native.lexer import code_tokens
from gpu2mlu.rules import load_ruleset
from tests.python.helpers import dedent


def convert(src, rel):
    src = dedent(src)
    conversion = convert_native(src, load_ruleset(), rel)
    assert conversion.text == src and not conversion.changes, "native sources are never edited"
    return conversion.findings


KERNEL = r'''
    // Adds two vectors. cudaMalloc and cudaFree in a comment do not count.
    /* __global__ in a block comment
       cudaMemcpy(dst, src, n, cudaMemcpyHostToDevice); */
    #include <torch/extension.h>
    #include <ATen/cuda/CUDAContext.h>
    #include "common.cuh"

    #error "this message says cudaMalloc"
    static const char* kMsg = "cudaMalloc failed";  // cudaMalloc
    static const char kQuote = '"';
    static const char* kRaw = R"doc(cudaFree( __global__ )doc";
    static const int kBig = 1'000'000;

    __global__ void add_kernel(const float* a, const float* b, float* c, int n) {
      int i = blockIdx.x * blockDim.x + threadIdx.x;
      if (i < n) c[i] = a[i] + b[i];
    }

    void add(at::Tensor a, at::Tensor b, at::Tensor c) {
      float* tmp;
      cudaMalloc(&tmp, 16);
      cudaMalloc(&tmp, 32);
      cudaStream_t stream = at::cuda::getCurrentCUDAStream();
      add_kernel<<<1, 256, 0, stream>>>(a.data_ptr<float>(), b.data_ptr<float>(), c.data_ptr<float>(), a.numel());
      C10_CUDA_KERNEL_LAUNCH_CHECK();
      cudaFree(tmp);
    }
'''


def test_kernel_file_counts_uses_in_code_and_points_at_the_first():
    [finding] = convert(KERNEL, "csrc/add_kernel.cu")
    assert (finding.id, finding.line) == ("GM320", 5)
    assert finding.message == (
        "CUDA source: 13 CUDA API uses: cudaMalloc ×2, ATen/cuda/CUDAContext.h ×1, common.cuh ×1, "
        "__global__ ×1, blockIdx ×1 and 7 more")
    assert "BANG C" in finding.suggestion and "MLUExtension" in finding.suggestion and "CNRT" in finding.suggestion


def test_cuda_header_and_qualified_names():
    src = '''
        #include <vector>
        #include <c10/cuda/CUDAGuard.h>

        void f(const at::Tensor& x) {
          const at::cuda::OptionalCUDAGuard guard(device_of(x));
          TORCH_CHECK(x.is_cuda(), "x must be a CUDA tensor");
          auto s = c10::cuda::getCurrentCUDAStream();
          if (x.device().type() == at::kCUDA) {}
        }
    '''
    [finding] = convert(src, "csrc/binding.cpp")
    assert (finding.id, finding.line) == ("GM321", 2)
    assert finding.message == ("C/C++ source that uses CUDA: 5 CUDA API uses: c10/cuda/CUDAGuard.h ×1, "
                               "at::cuda::OptionalCUDAGuard ×1, is_cuda ×1, c10::cuda::getCurrentCUDAStream ×1, "
                               "at::kCUDA ×1")
    assert "torch_mlu::MLUStream" in finding.suggestion


@pytest.mark.parametrize("src, first", [
    pytest.param("#include <cublas_v2.h>\n", "cublas_v2.h", id="cublas-header"),
    pytest.param("#  include <cudnn.h>\n", "cudnn.h", id="spaced-include"),
    pytest.param("#include <nccl.h>\n", "nccl.h", id="nccl-header"),
    pytest.param("#include <thrust/sort.h>\n", "thrust/sort.h", id="thrust-header"),
    pytest.param("#include <cub/cub.cuh>\n", "cub/cub.cuh", id="cub-header"),
    pytest.param("void f() { cublasSgemm(h, a, b); }\n", "cublasSgemm", id="cublas-call"),
    pytest.param("void f() { cudnnConvolutionForward(h); }\n", "cudnnConvolutionForward", id="cudnn-call"),
    pytest.param("void f() { ncclAllReduce(a, b, n, t, op, comm, s); }\n", "ncclAllReduce", id="nccl-call"),
    pytest.param("void f() { curand_init(1, 2, 3, &s); }\n", "curand_init", id="curand"),
    pytest.param("void f() { thrust::sort(v.begin(), v.end()); }\n", "thrust::sort", id="thrust"),
    pytest.param("void f() { AT_CUDA_CHECK(cudaGetLastError()); }\n", "AT_CUDA_CHECK", id="at-cuda-check"),
    pytest.param("void f() { C10_CUDA_CHECK(e); }\n", "C10_CUDA_CHECK", id="c10-cuda-check"),
    pytest.param("THCState* state = at::globalContext().getTHCState();\n", "THCState", id="thc"),
    pytest.param("__device__ float sq(float x) { return x * x; }\n", "__device__", id="device-function"),
    pytest.param("void f() { __shared__ float tile[32]; }\n", "__shared__", id="shared"),
    pytest.param("void f() { k<<<grid, block>>>(x); }\n", "<<<...>>> launch", id="launch"),
    pytest.param("void f() { cuLaunchKernel(fn, 1, 1, 1); cuInit(0); }\n", "cuLaunchKernel", id="driver-api"),
])
def test_each_kind_of_use_is_counted_and_passes_the_trigger_gate(src, first):
    [finding] = convert(src, "src/x.cc")
    assert finding.id == "GM321"
    assert first + " ×1" in finding.message
    assert TRIGGERS[NATIVE].search(src.encode()), "the byte gate must let this file through"


@pytest.mark.parametrize("src", [
    pytest.param("int add(int a, int b) { return a + b; }\n", id="plain"),
    pytest.param("// cudaMalloc, __global__, <<<\nint x;\n", id="comment"),
    pytest.param("/* #include <cuda_runtime.h> */\nint x;\n", id="include-in-comment"),
    pytest.param('const char* s = "cudaMalloc(p) <<<1,1>>> __global__";\n', id="string"),
    pytest.param("const char* s = R\"x(cudaFree( \" )x\";\n", id="raw-string"),
    pytest.param("#error CUDA is not supported, use cudaMalloc elsewhere\n", id="error-directive"),
    pytest.param("int my_cudaMalloc(); int cudafree; int use_cuda = 1; int nccl = 0; int thrust = 2;\n", id="lookalikes"),
    pytest.param("std::cout << x << std::endl; auto y = a >> 3;\n", id="shift-operators"),
    pytest.param("// line comment \\\n cudaMalloc(p);\nint x;\n", id="continued-line-comment"),
])
def test_cpp_without_cuda_use_has_no_finding(src):
    assert convert(src, "src/util.cpp") == ()


def test_cuda_file_is_always_reported_when_it_has_code():
    [finding] = convert("int helper(int x) { return x + 1; }\n", "src/helper.cu")
    assert (finding.id, finding.line) == ("GM320", 1)
    assert finding.message == "CUDA source: no CUDA API use outside comments and strings"
    [finding] = convert("#pragma once\n__device__ inline int sq(int x) { return x * x; }\n", "src/h.cuh")
    assert (finding.id, finding.line) == ("GM320", 2)


@pytest.mark.parametrize("src", ["", "\n\n", "// license header mentioning cudaMalloc\n/* nothing else */\n"])
def test_empty_cuda_file_is_not_reported(src):
    assert convert(src, "src/empty.cu") == ()


def test_message_names_the_most_used_apis_first():
    src = "void f() {\n" + "cudaFree(p);\n" + "cudaMalloc(&p, 1);\n" * 3 + "cudaMemset(p, 0, 1);\n" * 2 + "}\n"
    [finding] = convert(src, "a.cpp")
    assert finding.line == 2
    assert finding.message.endswith("6 CUDA API uses: cudaMalloc ×3, cudaMemset ×2, cudaFree ×1")


def test_lexer_skips_literals_but_keeps_offsets():
    src = "x = 'a'; // c\ny = \"cudaMalloc\"; cudaFree(p);\n"
    tokens = [(t.text, t.offset) for t in code_tokens(src)]
    assert tokens == [("x", 0), ("y", 14), ("cudaFree", src.index("cudaFree")), ("p", src.index("p)"))]


def test_crlf_lines():
    [finding] = convert("int a;\r\n// cudaMalloc\r\nvoid f() { cudaMalloc(&p, 1); }\r\n", "a.cpp")
    assert finding.line == 3


def test_trigger_gate_still_skips_plain_cpp():
    assert not TRIGGERS[NATIVE].search(b"#include <vector>\nint add(int a, int b) { return a + b; }\n")
    assert re.search(r"cuda", KERNEL)  # sanity: the kernel sample is gated in
