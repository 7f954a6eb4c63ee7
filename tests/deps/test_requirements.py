"""pip requirement files: parsing, what is reported (and on which line), what is not."""
import pytest

from gpu2mlu.deps import convert_requirements, normalize, parse_requirement
from gpu2mlu.deps.pipfile import logical_lines
from gpu2mlu.deps.versions import admits, caps_below, release
from gpu2mlu.rules import load_ruleset


def findings(text, line="2.4"):
    conversion = convert_requirements(text, load_ruleset(line), "requirements.txt")
    assert conversion.text == text and not conversion.changes, "requirement files are never edited"
    return conversion.findings


def ids(text, line="2.4"):
    return [(f.id, f.line) for f in findings(text, line)]


@pytest.mark.parametrize("name, key", [
    ("Flash_Attn", "flash-attn"), ("nvidia.cudnn-cu12", "nvidia-cudnn-cu12"), ("torch", "torch"),
    ("cupy__cuda12x", "cupy-cuda12x"),
])
def test_pep503_normalisation(name, key):
    assert normalize(name) == key


@pytest.mark.parametrize("text, name, extras, spec, url", [
    pytest.param("torch==2.1.0+cu118", "torch", (), "==2.1.0+cu118", None, id="local-version"),
    pytest.param("flash_attn[triton] >= 2.3, <3 ; python_version >= '3.8'", "flash_attn", ("triton",), ">=2.3,<3", None, id="extras-marker"),
    pytest.param("torch (==2.1.0)", "torch", (), "==2.1.0", None, id="parenthesised"),
    pytest.param("apex @ git+https://github.com/NVIDIA/apex.git ; sys_platform == 'linux'", "apex", (), "",
                 "git+https://github.com/NVIDIA/apex.git", id="direct-url"),
    pytest.param("git+https://github.com/NVIDIA/apex.git@22.04#egg=apex", "apex", (), "",
                 "git+https://github.com/NVIDIA/apex.git@22.04#egg=apex", id="egg-fragment"),
    pytest.param("git+https://github.com/facebookresearch/xformers.git@main", "xformers", (), "",
                 "git+https://github.com/facebookresearch/xformers.git@main", id="vcs-repo-name"),
    pytest.param("https://download.pytorch.org/whl/cu118/torch-2.0.1%2Bcu118-cp310-cp310-linux_x86_64.whl", "torch", (),
                 "==2.0.1+cu118", "https://download.pytorch.org/whl/cu118/torch-2.0.1%2Bcu118-cp310-cp310-linux_x86_64.whl",
                 id="wheel-url"),
    pytest.param("./wheels/mmcv_full-1.7.1-cp38-cp38-linux_x86_64.whl", "mmcv_full", (), "==1.7.1",
                 "./wheels/mmcv_full-1.7.1-cp38-cp38-linux_x86_64.whl", id="wheel-path"),
])
def test_parse_requirement(text, name, extras, spec, url):
    req = parse_requirement(text)
    assert (req.name, req.extras, req.spec, req.url) == (name, extras, spec, url)


@pytest.mark.parametrize("text", [".", "./src", "-", "", "   "])
def test_parse_requirement_without_a_name(text):
    assert parse_requirement(text) is None


def test_logical_lines_join_continuations_and_drop_comments():
    text = "torch==2.1.0 \\\n    --hash=sha256:ab  # pinned\nnumpy # \\\nscipy\r\n"
    got = [(ll.text, ll.lines) for ll in logical_lines(text)]
    assert got == [("torch==2.1.0     --hash=sha256:ab", (1, 2)), ("numpy", (3,)), ("scipy", (4,))]


@pytest.mark.parametrize("requirement, finding", [
    ("apex", "GM310"), ("flash-attn==2.5.8", "GM310"), ("flash_attn>=2", "GM310"), ("xformers", "GM310"),
    ("bitsandbytes>=0.41", "GM310"), ("triton==2.1.0", "GM310"), ("pynvml", "GM310"), ("nvidia-ml-py>=12", "GM310"),
    ("pycuda", "GM310"), ("cupy", "GM310"), ("cupy-cuda11x", "GM310"), ("cupy_cuda12x==13.0", "GM310"),
    ("tensorrt==8.6.1", "GM310"), ("torch-tensorrt", "GM310"), ("torch_tensorrt", "GM310"),
    ("onnxruntime-gpu", "GM310"), ("cudf-cu12", "GM310"), ("cuml-cu11", "GM310"),
    ("nvidia-dali-cuda120", "GM310"), ("nvidia-cudnn-cu12==8.9.2.26", "GM310"), ("nvidia-nccl-cu12", "GM310"),
    ("nvidia-cublas-cu11", "GM310"), ("mmcv-full==1.7.1", "GM310"), ("transformer-engine[pytorch]", "GM310"),
    ("spconv-cu118", "GM310"), ("jax-cuda12-plugin", "GM310"),
    ("torch==2.1.0+cu118", "GM311"), ("torchvision===0.16.0+cu121", "GM311"), ("torchaudio==2.1.0+cu118", "GM311"),
    ("torch-scatter==2.1.2+pt21cu118", "GM313"),
    ("torch==1.13.1", "GM314"), ("torch<2.4", "GM314"), ("torch~=2.1.0", "GM314"),
    ("deepspeed==0.12.6", "GM315"), ("deepspeed<0.15", "GM315"),
])
def test_reported(requirement, finding):
    assert ids(f"numpy\n{requirement}\n") == [(finding, 2)]


@pytest.mark.parametrize("requirement", [
    "torch", "torch>=1.13", "torch==2.4.0", "torch==2.5.1", "torch>=2.5", "torch==2.4.0+cpu", "torchvision==0.19.0",
    "numpy", "timm>=0.9", "transformers", "accelerate", "deepspeed", "deepspeed>=0.16", "deepspeed==0.15.2",
    "mmcv==2.1.0", "onnxruntime", "faiss-cpu", "cuda-helpers-nope", "pytorch-nvidia-addons", "nvidiatool",
    "cupyx-stub", "tritonclient", "openai-triton-docs", "numba",
])
def test_not_reported(requirement):
    assert ids(f"{requirement}\n") == []


@pytest.mark.parametrize("line, requirement, finding", [
    ("2.1", "torch==2.1.0", None), ("2.1", "torch==2.1.2", "GM314"), ("2.1", "torch>=2.2", "GM314"),
    ("2.3", "torch==2.3.0", None), ("2.3", "torch==2.4.0", "GM314"), ("2.4", "torch==2.3.1", "GM314"),
])
def test_torch_pin_against_the_target_line(line, requirement, finding):
    assert [f.id for f in findings(requirement + "\n", line)] == ([finding] if finding else [])


@pytest.mark.parametrize("line, wanted", [
    ("2.1", "Cambricon's torch 2.1.0 wheel"),
    ("2.3", "Cambricon's torch 2.3.0+cpu wheel"),
    ("2.4", "pip install torch==2.4.0 --index-url https://download.pytorch.org/whl/cpu"),
])
def test_cuda_torch_build_says_which_torch_to_install(line, wanted):
    [finding] = findings("torch==2.1.0+cu118\n", line)
    assert finding.message == "torch is pinned to the CUDA build 2.1.0+cu118"
    assert f"torch_mlu for PyTorch {line} needs" in finding.suggestion
    assert wanted in finding.suggestion


def test_torchvision_suggestion_names_the_matching_cpu_build():
    [finding] = findings("torchvision==0.16.0+cu121\n", "2.1")
    assert "torchvision==0.16.0" in finding.suggestion and "--no-deps" in finding.suggestion


@pytest.mark.parametrize("text, line", [
    pytest.param("--extra-index-url https://download.pytorch.org/whl/cu118\n", 1, id="extra-index-url"),
    pytest.param("--index-url=https://download.pytorch.org/whl/cu121\n", 1, id="equals"),
    pytest.param("-i https://download.pytorch.org/whl/nightly/cu124\n", 1, id="short-i"),
    pytest.param("-f https://download.pytorch.org/whl/cu113/torch_stable.html\n", 1, id="find-links"),
    pytest.param("--find-links https://data.pyg.org/whl/torch-2.0.0+cu118.html\n", 1, id="pyg-local-tag"),
    pytest.param("-f https://download.openmmlab.com/mmcv/dist/cu113/torch1.10.0/index.html\n", 1, id="openmmlab"),
    pytest.param("--extra-index-url \\\n    https://download.pytorch.org/whl/cu118\n", 2, id="continued"),
    pytest.param("-fhttps://download.pytorch.org/whl/cu92/torch_stable.html\n", 1, id="attached"),
])
def test_cuda_index_urls(text, line):
    [finding] = findings(text)
    assert (finding.id, finding.line) == ("GM312", line)
    assert "download.pytorch.org/whl/cpu" in finding.suggestion


@pytest.mark.parametrize("text", [
    "--extra-index-url https://download.pytorch.org/whl/cpu\n",
    "-f https://download.pytorch.org/whl/torch_stable.html\n",
    "--index-url https://pypi.org/simple\n",
    "--extra-index-url https://example.com/docu118/simple\n",
    "-r requirements-cu118.txt\n",
    "-c constraints-cu121.txt\n",
    "--trusted-host download.pytorch.org\n",
])
def test_urls_not_reported(text):
    assert ids(text) == []


def test_a_realistic_file_reports_each_dependency_on_its_line():
    text = (
        "# Training requirements (needs CUDA 11.8, flash-attn)\n"      # 1  comment: nothing
        "--extra-index-url https://download.pytorch.org/whl/cu118\n"   # 2  GM312
        "-r base.txt\n"                                                # 3  left alone
        "torch==2.1.0+cu118 \\\n"                                      # 4  GM311
        "    --hash=sha256:0123456789abcdef\n"                         # 5
        "torchvision==0.16.0+cu118\n"                                  # 6  GM311
        "numpy>=1.24  # flash-attn is optional\n"                      # 7  comment: nothing
        "flash-attn==2.5.8; platform_system == 'Linux'\n"              # 8  GM310
        "-e git+https://github.com/NVIDIA/apex.git#egg=apex\n"         # 9  GM310
        "timm\n"                                                       # 10
        "\n"
        "nvidia-ml-py\n"                                               # 12 GM310
    )
    assert ids(text) == [("GM312", 2), ("GM311", 4), ("GM311", 6), ("GM310", 8), ("GM310", 9), ("GM310", 12)]


def test_crlf_and_no_final_newline():
    assert ids("numpy\r\nxformers\r\napex") == [("GM310", 2), ("GM310", 3)]


@pytest.mark.parametrize("clauses, version, allowed, capped", [
    ((("==", "2.1.*"),), "2.1.5", True, False),
    ((("==", "2.1.*"),), "2.4.0", False, True),
    ((("~=", "2.1"),), "2.4.0", True, False),
    ((("~=", "2.1.0"),), "2.4.0", False, True),
    (((">=", "2.5"),), "2.4.0", False, False),
    ((("<", "2.4"),), "2.4.0", False, True),
    ((("!=", "2.4.0"),), "2.4.0", False, False),
])
def test_version_clauses(clauses, version, allowed, capped):
    assert admits(clauses, release(version)) is allowed
    assert caps_below(clauses, release(version)) is capped


def test_malformed_url_is_read_without_raising():
    assert parse_requirement("git+https://[github.com/NVIDIA/apex").name == "apex"
    assert ids("-e git+https://[github.com/NVIDIA/apex\n") == [("GM310", 1)]
