"""Dependencies in pyproject.toml, setup.cfg, environment.yml and setup.py, on their real lines."""
import pytest

from gpu2mlu.deps import dependency_findings, setup_py_findings
from gpu2mlu.rules import load_ruleset
from tests.python.helpers import dedent


def ids(text, rel, line="2.4"):
    return [(f.id, f.line) for f in dependency_findings(dedent(text), load_ruleset(line), rel)]


def test_other_config_files_are_not_read():
    text = "dependencies:\n  - cudatoolkit=11.8\n"
    assert ids(text, "configs/train.yaml") == []
    assert ids(text, "environment.yml") == [("GM316", 2)]
    assert ids(text, "envs/environment.yaml") == [("GM316", 2)]


PYPROJECT = '''
    [build-system]
    requires = ["setuptools>=64", "torch==2.1.0+cu118"]

    [project]
    name = "demo"  # mentions "flash-attn" in a comment
    description = "Needs xformers and apex"
    dependencies = [
        "numpy",
        'flash-attn>=2.3',  # "apex" here is a comment
        """xformers""",
        "torch>=2.0",
    ]

    [project.optional-dependencies]
    gpu = ["bitsandbytes", "timm"]
    nvml = ["pynvml; sys_platform == 'linux'"]

    [dependency-groups]
    dev = ["pytest", "cupy-cuda12x"]

    [project.urls]
    Docs = "https://example.com/cu118/docs"

    [tool.uv]
    extra-index-url = ["https://download.pytorch.org/whl/cu121"]

    [[tool.uv.index]]
    name = "pytorch"
    url = "https://download.pytorch.org/whl/cu124"
'''


def test_pyproject_pep621_build_system_groups_and_index_urls():
    assert ids(PYPROJECT, "pyproject.toml") == [
        ("GM311", 2), ("GM310", 9), ("GM310", 10), ("GM310", 15), ("GM310", 16), ("GM310", 19),
        ("GM312", 25), ("GM312", 29),
    ]


POETRY = '''
    [tool.poetry]
    name = "demo"

    [tool.poetry.dependencies]
    python = "^3.10"
    torch = {version = "2.1.0+cu118", source = "torch-cu118"}
    numpy = "^1.24"
    "flash-attn" = "^2.3"
    deepspeed = "~0.12"

    [tool.poetry.group.dev.dependencies]
    apex = {git = "https://github.com/NVIDIA/apex.git"}
    torchvision = "~0.15"

    [[tool.poetry.source]]
    name = "torch-cu118"
    url = "https://download.pytorch.org/whl/cu118"
    priority = "explicit"
'''


def test_poetry_dependency_tables_report_on_the_name_line():
    assert ids(POETRY, "pyproject.toml") == [("GM311", 6), ("GM310", 8), ("GM315", 9), ("GM310", 12), ("GM312", 17)]


@pytest.mark.parametrize("version, finding", [
    ('"~2.1"', "GM314"), ('"^2.1"', None), ('"2.1.0"', "GM314"), ('">=2.0,<2.3"', "GM314"), ('"*"', None),
])
def test_poetry_torch_constraints_against_the_2_4_line(version, finding):
    text = f"[tool.poetry.dependencies]\ntorch = {version}\n"
    assert ids(text, "pyproject.toml") == ([(finding, 2)] if finding else [])


def test_invalid_toml_gives_no_findings():
    assert ids('[project]\ndependencies = ["apex"\n', "pyproject.toml") == []


SETUP_CFG = '''
    [metadata]
    name = demo
    description = uses flash-attn

    [options]
    python_requires = >=3.9
    install_requires =
        numpy
        # apex is only a comment here
        flash-attn>=2.3; platform_system == "Linux"
        torch==2.1.0+cu118
    setup_requires = ninja; cupy-cuda12x

    [options.extras_require]
    nvml = pynvml
    all =
        xformers
        timm
'''


def test_setup_cfg_requirement_lists():
    assert ids(SETUP_CFG, "setup.cfg") == [("GM310", 10), ("GM311", 11), ("GM310", 12), ("GM310", 15), ("GM310", 17)]


ENVIRONMENT = '''
    name: train  # cuda env
    channels:
      - pytorch
      - nvidia
      - conda-forge
    dependencies:
      - python=3.10
      - pytorch=2.1.0=py3.10_cuda11.8_cudnn8.7.0_0
      - pytorch-cuda=11.8
      - cudatoolkit=11.8   # CUDA toolkit
      - nvidia::cuda-nvcc
      - cudnn
      - numpy
      - "pynvml"
      - pip
      - pip:
        - flash-attn==2.5.8
        - --extra-index-url https://download.pytorch.org/whl/cu118
        - timm
        - -r requirements.txt
      - nccl
'''


def test_environment_yml_channels_conda_and_pip_entries():
    assert ids(ENVIRONMENT, "environment.yml") == [
        ("GM317", 4), ("GM311", 8), ("GM316", 9), ("GM316", 10), ("GM316", 11), ("GM316", 12), ("GM310", 14),
        ("GM310", 17), ("GM312", 18), ("GM316", 21),
    ]


def test_environment_flow_lists_and_plain_pytorch():
    text = "channels: [pytorch, nvidia]\ndependencies: [python=3.10, pytorch=2.4.0, torchvision, {pip: [apex]}]\n"
    assert ids(text, "environment.yml") == [("GM317", 1)]


@pytest.mark.parametrize("line, spec, finding", [
    ("2.1", "pytorch=2.1.0", None), ("2.1", "pytorch=2.3", "GM314"), ("2.4", "pytorch==1.13.1", "GM314"),
    ("2.4", "pytorch>=2.0", None), ("2.4", "pytorch=*=*cuda*", "GM311"), ("2.4", "cupy", "GM310"),
    ("2.4", "conda-forge::cudnn>=8", "GM316"), ("2.4", "nvidia::some-tool", "GM317"), ("2.4", "cuda-version=12.1", "GM316"),
    ("2.4", "cudatoolkit-dev", "GM316"), ("2.4", "numba", None), ("2.4", "mkl", None),
])
def test_conda_specs(line, spec, finding):
    text = f"dependencies:\n  - {spec}\n"
    assert ids(text, "environment.yml", line) == ([(finding, 2)] if finding else [])


SETUP_PY = '''
    import os
    from setuptools import setup
    from torch.utils.cpp_extension import BuildExtension, CUDAExtension

    # apex is mentioned in a comment
    REQUIRED = [
        "numpy",
        "flash-attn>=2.3",
    ]
    EXTRAS = {
        "nvml": ["pynvml"],
        "all": REQUIRED + ["xformers"],
    }

    setup(
        name="demo",
        description="needs apex",
        install_requires=REQUIRED + ["torch==2.1.0+cu118"],
        extras_require=EXTRAS,
        setup_requires=["cupy-cuda12x"],
        tests_require=["apex"],
    )
'''


def test_setup_py_through_module_level_variables():
    found = setup_py_findings(dedent(SETUP_PY), load_ruleset("2.4"))
    assert [(f.id, f.line, f.message.split()[0]) for f in found] == [
        ("GM310", 8, "flash-attn"), ("GM310", 11, "pynvml"), ("GM310", 12, "xformers"), ("GM311", 18, "torch"),
        ("GM310", 20, "cupy-cuda12x"),
    ]


def test_setup_py_with_splatted_config_and_string_lists():
    text = dedent('''
        import setuptools
        config = dict(install_requires="""
        numpy
        apex
        """)
        setuptools.setup(name="x", **config)
    ''')
    assert [(f.id, f.line) for f in setup_py_findings(text, load_ruleset())] == [("GM310", 4)]


def test_setup_py_that_does_not_parse_gives_no_findings():
    assert setup_py_findings("setup(install_requires=['apex'\n", load_ruleset()) == []
