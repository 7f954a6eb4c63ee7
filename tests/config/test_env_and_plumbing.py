"""Environment variable names in configs, and GPU plumbing findings (GM550-GM554)."""
import pytest

from tests.config.helpers import assert_converts, assert_unchanged, convert, dedent, finding_ids


@pytest.mark.parametrize("before, after, rel", [
    pytest.param("environment:\n  CUDA_VISIBLE_DEVICES: \"0,1\"\n", "environment:\n  MLU_VISIBLE_DEVICES: \"0,1\"\n",
                 "docker-compose.yml", id="compose-mapping"),
    pytest.param("environment:\n  - CUDA_VISIBLE_DEVICES=0\n", "environment:\n  - MLU_VISIBLE_DEVICES=0\n",
                 "docker-compose.yml", id="compose-list"),
    pytest.param("environment: ['PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True']\n",
                 "environment: ['PYTORCH_MLU_ALLOC_CONF=expandable_segments:True']\n", "compose.yaml", id="flow-list"),
    pytest.param("env:\n  - name: CUDA_VISIBLE_DEVICES\n    value: \"0\"\n",
                 "env:\n  - name: MLU_VISIBLE_DEVICES\n    value: \"0\"\n", "k8s/job.yaml", id="k8s-env"),
    pytest.param("jobs:\n  t:\n    env:\n      TORCH_NCCL_BLOCKING_WAIT: 1\n",
                 "jobs:\n  t:\n    env:\n      TORCH_CNCL_BLOCKING_WAIT: 1\n", ".github/workflows/ci.yml", id="actions-env"),
    pytest.param("variables:\n  CUDA_VISIBLE_DEVICES: 0\n", "variables:\n  MLU_VISIBLE_DEVICES: 0\n",
                 "environment.yml", id="conda-variables"),
    pytest.param('{"containerEnv": {"CUDA_VISIBLE_DEVICES": "0"}}', '{"containerEnv": {"MLU_VISIBLE_DEVICES": "0"}}',
                 ".devcontainer/devcontainer.json", id="json-key"),
    pytest.param('{"Env": ["CUDA_VISIBLE_DEVICES=0"]}', '{"Env": ["MLU_VISIBLE_DEVICES=0"]}', "config.json", id="json-item"),
    pytest.param('[tool.pytest.ini_options]\nenv = ["CUDA_VISIBLE_DEVICES=0"]\n',
                 '[tool.pytest.ini_options]\nenv = ["MLU_VISIBLE_DEVICES=0"]\n', "pyproject.toml", id="toml-item"),
    pytest.param('[activation.env]\nCUDA_VISIBLE_DEVICES = "0"\n', '[activation.env]\nMLU_VISIBLE_DEVICES = "0"\n',
                 "pixi.toml", id="toml-key"),
    pytest.param("[testenv]\nsetenv =\n    CUDA_VISIBLE_DEVICES = 0\n", "[testenv]\nsetenv =\n    MLU_VISIBLE_DEVICES = 0\n",
                 "tox.ini", id="ini-continuation"),
    pytest.param("[testenv]\npassenv = CUDA_VISIBLE_DEVICES\n", "[testenv]\npassenv = MLU_VISIBLE_DEVICES\n",
                 "tox.ini", id="ini-value"),
    pytest.param("[env]\nCUDA_VISIBLE_DEVICES = 0\n", "[env]\nMLU_VISIBLE_DEVICES = 0\n", "setup.cfg", id="ini-key"),
    pytest.param("environment:\n  - DETECTION_BACKEND=cuda\n  - DIST=nccl\n",
                 "environment:\n  - DETECTION_BACKEND=mlu\n  - DIST=cncl\n", "docker-compose.yml", id="item-device-value"),
    pytest.param("environment:\n  APP_DEVICE: cuda\n", "environment:\n  APP_DEVICE: mlu\n", "compose.yml",
                 id="mapping-device-value"),
    pytest.param("[testenv]\nsetenv =\n    APP_DEVICE = cuda:0\n", "[testenv]\nsetenv =\n    APP_DEVICE = mlu:0\n",
                 "tox.ini", id="ini-item-device-value"),
])
def test_renamed_variables(before, after, rel):
    assert_converts(before, after, rel)


@pytest.mark.parametrize("text, rel", [
    pytest.param("environment:\n  CUDA_VISIBLE_DEVICES_X: 1\n", "c.yml", id="longer-name"),
    pytest.param("environment:\n  cuda_visible_devices: 1\n", "c.yml", id="lower-case"),
    pytest.param("command: CUDA_VISIBLE_DEVICES=0 python train.py\n", "c.yml", id="not-a-list-item"),
    pytest.param("run: |\n  export CUDA_VISIBLE_DEVICES=0\n", "c.yml", id="block-scalar"),
    pytest.param("# CUDA_VISIBLE_DEVICES: 0\nx: 1\n", "c.yml", id="comment"),
    pytest.param("x: MY_CUDA_VISIBLE_DEVICES\n", "c.yml", id="prefixed"),
    pytest.param("command: APP_DEVICE=cuda\n", "c.yml", id="assignment-outside-a-list"),
    pytest.param("environment:\n  - APP_DEVICE=cuda_graph\n  - app_device=cuda\n", "c.yml", id="item-not-a-device"),
])
def test_variables_that_stay(text, rel):
    assert_unchanged(text, rel)


def test_variable_findings():
    src = """
        services:
          app:
            environment:
              - CUDA_LAUNCH_BLOCKING=1
              - NCCL_SOCKET_IFNAME=eth0
              - CUDA_HOME=/usr/local/cuda
              - NVIDIA_VISIBLE_DEVICES=all
    """
    result = convert(dedent(src), "docker-compose.yml")
    assert [(f.id, f.line) for f in result.findings] == [("GM401", 4), ("GM402", 5), ("GM405", 6), ("GM401", 7)]
    gm405 = result.findings[2]
    assert "CUDA_HOME" in gm405.message and "NEUWARE_HOME" in gm405.suggestion
    assert "- CUDA_HOME=/usr/local/cuda" in result.text  # a toolkit path: NEUWARE_HOME is no drop-in
    assert "- CUDA_LAUNCH_BLOCKING=1" in result.text  # no equivalent: reported, left as it is


@pytest.mark.parametrize("text, rel", [
    pytest.param("environment:\n  CUDA_DEVICE_MAX_CONNECTIONS: 1\n", "c.yml", id="mapping-key"),
    pytest.param("env:\n  - CUDA_DEVICE_MAX_CONNECTIONS=1\n", "c.yml", id="list-item"),
    pytest.param('{"env": {"CUDA_DEVICE_MAX_CONNECTIONS": "1"}}', "c.json", id="json-key"),
])
def test_unknown_cuda_variables_are_reported_and_kept(text, rel):
    result = convert(text, rel)
    assert result.text == text
    assert [f.id for f in result.findings] == ["GM404"]


def test_compose_gpu_plumbing():
    src = """
        services:
          train:
            image: nvidia/cuda:12.1.0-cudnn8-devel-ubuntu22.04
            runtime: nvidia
            environment:
              NVIDIA_DRIVER_CAPABILITIES: compute,utility
            deploy:
              resources:
                reservations:
                  devices:
                    - driver: nvidia
                      count: all
                      capabilities: [gpu]
    """
    result = convert(dedent(src), "docker-compose.yml")
    assert [(f.id, f.line) for f in result.findings] == [("GM553", 3), ("GM550", 4), ("GM554", 6), ("GM551", 11)]
    assert not result.changes
    assert "runtime: nvidia" in result.findings[1].message
    assert "/dev/cambricon_ctl" in result.findings[1].suggestion


def test_kubernetes_gpu_plumbing():
    src = """
        spec:
          runtimeClassName: nvidia
          nodeSelector:
            nvidia.com/gpu.product: A100
          tolerations:
            - key: nvidia.com/gpu
              operator: Exists
          containers:
            - name: train
              image: nvcr.io/nvidia/pytorch:23.10-py3
              resources:
                limits:
                  nvidia.com/gpu: 2
    """
    assert finding_ids(src, "k8s/pod.yaml") == [
        ("GM550", 2), ("GM552", 4), ("GM552", 6), ("GM553", 10), ("GM552", 13)]
    suggestion = convert(dedent(src), "k8s/pod.yaml").findings[-1].suggestion
    assert "cambricon.com/mlu" in suggestion


def test_daemon_json_runtime():
    assert finding_ids('{"default-runtime": "nvidia", "runtimes": {"nvidia": {"path": "x"}}}', "daemon.json") == [
        ("GM550", 1)]


@pytest.mark.parametrize("text", [
    pytest.param("driver: nvidia-legacy\n", id="other-driver"),
    pytest.param("vendor: nvidia\n", id="other-key"),
    pytest.param("image: python:3.11-slim\nruntime: runc\n", id="plain-image"),
    pytest.param("description: nvidia.com/gpu\n", id="resource-as-prose-value"),
])
def test_no_plumbing_findings(text):
    assert finding_ids(text, "c.yaml") == []


@pytest.mark.parametrize("raw, error", [
    pytest.param({"finding": "GM550", "role": "value", "equals": "nvidia"}, "under", id="value-without-under"),
    pytest.param({"finding": "GM552", "role": "key", "under": ["x"], "prefix": "n"}, "under", id="key-with-under"),
    pytest.param({"finding": "GM550", "role": "value", "under": ["r"]}, "exactly one", id="no-match"),
    pytest.param({"finding": "GM550", "role": "env", "prefix": "N", "equals": "N"}, "exactly one", id="two-matches"),
    pytest.param({"finding": "GM550", "role": "label", "prefix": "n"}, "role", id="unknown-role"),
    pytest.param({"finding": "GM550", "role": "env", "prefix": "n", "regex": "x"}, "unknown keys", id="unknown-key"),
])
def test_flag_table_rows_are_checked(raw, error):
    from gpu2mlu.rules.schema import ConfigFlag, RuleTableError
    with pytest.raises(RuleTableError, match=error):
        ConfigFlag.from_table(raw, "containers.toml flag #1")
