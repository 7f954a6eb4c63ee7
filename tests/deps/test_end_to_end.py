"""Dependency files and native sources through the command: findings in report.json, files copied
byte for byte."""
import json

from gpu2mlu.cli import main

FILES = {
    "requirements.txt": b"--extra-index-url https://download.pytorch.org/whl/cu118\r\n"
                        b"torch==2.1.0+cu118\r\nnumpy  # flash-attn later\r\nflash-attn==2.5.8\r\n",
    "setup.py": b"from setuptools import setup\n\nREQS = ['numpy', 'apex']\n\nsetup(name='demo', install_requires=REQS)\n",
    "csrc/kernel.cu": b"// scale kernel, cudaMalloc in a comment\n#include <cuda_runtime.h>\n"
                      b"__global__ void scale(float* x) { x[threadIdx.x] *= 2.0f; }\n"
                      b"void run(float* x) { scale<<<1, 32>>>(x); cudaDeviceSynchronize(); }\n",
    "csrc/util.cpp": b"// not CUDA: mentions cudaMalloc only here\n#include <vector>\n"
                     b"int add(int a, int b) { return a + b; }\n",
}


def test_dependency_and_native_findings_end_to_end(tmp_path):
    project = tmp_path / "proj"
    for rel, data in FILES.items():
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    out = tmp_path / "out"
    main(["-i", str(project), "-o", str(out)])
    for rel, data in FILES.items():
        assert (out / rel).read_bytes() == data, f"{rel} must be copied byte for byte"
    report = json.loads((out / "report.json").read_text())
    assert report["changes"] == []
    found = sorted((f["file"], f["line"], f["id"]) for f in report["findings"])
    assert found == [
        ("csrc/kernel.cu", 2, "GM320"),
        ("requirements.txt", 1, "GM312"), ("requirements.txt", 2, "GM311"), ("requirements.txt", 4, "GM310"),
        ("setup.py", 3, "GM310"),
    ]
    kernel = next(f for f in report["findings"] if f["file"] == "csrc/kernel.cu")
    assert kernel["message"] == ("CUDA source: 5 CUDA API uses: cuda_runtime.h ×1, __global__ ×1, "
                                 "threadIdx ×1, <<<...>>> launch ×1, cudaDeviceSynchronize ×1")
    kinds = {row["file"]: row["kind"] for row in report["files"]}
    assert kinds == {"requirements.txt": "requirements", "setup.py": "python", "csrc/kernel.cu": "native",
                     "csrc/util.cpp": "native"}
