"""Training frameworks' settings in configuration files (issue 11, item 7): DeepSpeed configs,
LightningCLI/Hydra trainer configs and Accelerate configs keep the values their framework accepts
on MLU and report the rest (rules/data/frameworks.toml says what each accepts, with sources)."""
import pytest

from gpu2mlu.kinds import CONFIG, TRIGGERS
from tests.config.helpers import RULES, assert_converts, assert_unchanged, convert, dedent, finding_ids

DS_JSON = """\
{
  "train_batch_size": 16,
  "optimizer": {
    "type": "OneBitAdam",
    "params": {"lr": 1e-4, "freeze_step": 400, "comm_backend_name": "nccl"}
  }
}
"""


@pytest.mark.parametrize("before, after, rel", [
    pytest.param('{"train_batch_size": 8, "comm_backend_name": "nccl", "dist_backend": "nccl"}\n',
                 '{"train_batch_size": 8, "comm_backend_name": "nccl", "dist_backend": "cncl"}\n', "ds.json",
                 id="deepspeed-json-keeps-its-backend-converts-torchs"),
    pytest.param("""
        train_micro_batch_size_per_gpu: 4
        optimizer: {type: ZeroOneAdam, params: {comm_backend_name: nccl}}
        env: {DS_ACCELERATOR: cuda}
        """, """
        train_micro_batch_size_per_gpu: 4
        optimizer: {type: ZeroOneAdam, params: {comm_backend_name: nccl}}
        env: {DS_ACCELERATOR: mlu}
        """, "ds.yaml", id="deepspeed-yaml"),
    pytest.param("""
        trainer:
          accelerator: cuda
          devices: 2
        model:
          device: cuda
        """, """
        trainer:
          accelerator: cuda
          devices: 2
        model:
          device: mlu
        """, "config.yaml", id="lightning-keeps-accelerator-converts-the-projects-device"),
    pytest.param("accelerator: cuda\nbatch: 8\n", "accelerator: mlu\nbatch: 8\n", "plain.yaml",
                 id="not-a-lightning-config"),
])
def test_framework_configs(before, after, rel):
    assert_converts(before, after, rel)


@pytest.mark.parametrize("text, rel, expected", [
    pytest.param(DS_JSON, "ds_config.json", [("GM701", 5)], id="deepspeed-onebit-json"),
    pytest.param('{"zero_optimization": {"stage": 2}, "comm_backend_name": "mpi"}\n', "ds.json", [("GM701", 1)],
                 id="deepspeed-mpi"),
    pytest.param("[optimizer]\ncomm_backend_name = \"nccl\"\n", "ds.toml", [("GM701", 2)], id="toml"),
    pytest.param("trainer:\n  accelerator: gpu\n  strategy: ddp\n", "cli.yaml", [("GM702", 2), ("GM703", 3)],
                 id="lightning-cli"),
    pytest.param("trainer:\n  strategy: deepspeed_stage_3\n", "cli.yaml", [("GM704", 2)], id="lightning-deepspeed"),
    pytest.param("trainer:\n  accelerator: cpu\n  strategy: auto\n", "cli.yaml", [], id="lightning-accepted"),
    pytest.param("""
        compute_environment: LOCAL_MACHINE
        distributed_type: MULTI_GPU
        gpu_ids: all
        mixed_precision: fp8
        dynamo_config:
          dynamo_backend: TENSORRT
        """, "default_config.yaml", [("GM705", 4), ("GM706", 6)], id="accelerate-config"),
    pytest.param("compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nmixed_precision: bf16\n",
                 "default_config.yaml", [], id="accelerate-accepted-on-mlu"),
    pytest.param("mixed_precision: fp8\nstrategy: ddp\naccelerator: gpu\n", "train.yaml", [], id="no-framework-keys"),
])
def test_framework_findings(text, rel, expected):
    assert finding_ids(text, rel) == expected


@pytest.mark.parametrize("text, rel", [
    pytest.param(DS_JSON, "ds_config.json", id="deepspeed-onebit"),
    pytest.param("compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\ngpu_ids: 0,1\n", "acc.yaml",
                 id="accelerate-multi-gpu-is-multi-mlu-too"),
    pytest.param("trainer:\n  accelerator: gpu\n", "cli.yaml", id="lightning-gpu"),
])
def test_framework_settings_left_as_written(text, rel):
    assert_unchanged(text, rel)


def test_the_setting_is_named_in_the_finding():
    (finding,) = convert(dedent(DS_JSON), "ds_config.json").findings
    assert "comm_backend_name: nccl" in finding.message and "Adam" in finding.suggestion


def test_gate_lets_framework_settings_through():
    missing = [w for w in RULES.frameworks.words() if not TRIGGERS[CONFIG].search(w.encode())]
    assert not missing, f"add these to gpu2mlu.kinds.FRAMEWORK_WORDS: {missing}"
