"""Training frameworks' launchers and settings in shell scripts (issue 11, item 7): what DeepSpeed,
Accelerate and Lightning accept on MLU is in rules/data/frameworks.toml, with its sources."""
import pytest

from gpu2mlu.kinds import DOCKERFILE, SHELL, TRIGGERS
from tests.shell.helpers import RULES, assert_converts, assert_unchanged, dockerfile, finding_ids, shell


@pytest.mark.parametrize("before, after", [
    pytest.param("export DS_ACCELERATOR=cuda\n", "export DS_ACCELERATOR=mlu\n", id="ds-accelerator-export"),
    pytest.param("DS_ACCELERATOR=cuda deepspeed t.py\n", "DS_ACCELERATOR=mlu deepspeed t.py\n", id="ds-accelerator-prefix"),
    pytest.param("DS_ACCELERATOR='cuda' python t.py\n", "DS_ACCELERATOR='mlu' python t.py\n", id="ds-accelerator-quoted"),
])
def test_framework_variables_take_the_mlu_name(before, after):
    assert_converts(shell, before, after)


def test_dockerfile_env_takes_the_mlu_accelerator_name():
    assert_converts(dockerfile, "FROM ubuntu\nENV DS_ACCELERATOR=cuda\n", "FROM ubuntu\nENV DS_ACCELERATOR=mlu\n")


@pytest.mark.parametrize("src, expected", [
    pytest.param("CUDA_VISIBLE_DEVICES=2,3 deepspeed train.py --deepspeed_config ds.json\n",
                 [("GM707", 1)], id="deepspeed-visible-devices"),
    pytest.param("set -e\nrun_cmd=\"CUDA_VISIBLE_DEVICES=0,1 deepspeed t.py\"\neval $run_cmd\n",
                 [("GM707", 2)], id="deepspeed-in-a-command-variable"),
    pytest.param("deepspeed --include localhost:0,1 train.py\n", [], id="deepspeed-include"),
    pytest.param("deepspeed --num_gpus 2 train.py\n", [], id="deepspeed-num-gpus"),
    pytest.param("CUDA_VISIBLE_DEVICES=0 python train.py\n", [], id="other-program"),
    pytest.param("accelerate launch --mixed_precision fp8 train.py\n", [("GM705", 1)], id="accelerate-fp8"),
    pytest.param("accelerate launch --mixed-precision=fp8 train.py\n", [("GM705", 1)], id="accelerate-fp8-dashes"),
    pytest.param("accelerate launch --dynamo_backend cudagraphs train.py\n", [("GM706", 1)], id="accelerate-dynamo"),
    pytest.param("accelerate launch --multi_gpu --gpu_ids 0,1 --num_processes 2 --mixed_precision bf16 t.py\n",
                 [], id="accelerate-accepted-on-mlu"),
    pytest.param("accelerate config --mixed_precision fp8\n", [], id="accelerate-other-subcommand"),
    pytest.param("python main.py fit --trainer.accelerator gpu --trainer.devices 2\n", [("GM702", 1)], id="lightning-cli"),
    pytest.param("python main.py fit --trainer.strategy=ddp_find_unused_parameters_true\n", [("GM703", 1)],
                 id="lightning-cli-strategy"),
    pytest.param("python t.py trainer.accelerator=cuda +trainer.strategy=deepspeed_stage_2\n",
                 [("GM702", 1), ("GM704", 1)], id="hydra-overrides"),
    pytest.param("python main.py fit --trainer.accelerator $ACC\n", [], id="dynamic-value"),
    pytest.param("python t.py --accelerator gpu --strategy ddp\n", [], id="the-projects-own-flags"),
    pytest.param("echo accelerate launch --mixed_precision fp8\n", [], id="prose"),
])
def test_framework_findings(src, expected):
    assert finding_ids(shell, src) == expected


@pytest.mark.parametrize("src", [
    pytest.param("accelerate launch --multi_gpu --mixed_precision fp8 t.py\n", id="reported-not-changed"),
    pytest.param("python main.py --trainer.accelerator cuda trainer.accelerator=cuda\n", id="lightning-cuda-stays"),
    pytest.param("export DS_ACCELERATOR=cpu MY_ACCELERATOR=cuda\n", id="other-values-and-names"),
])
def test_framework_settings_left_as_written(src):
    assert_unchanged(shell, src)


@pytest.mark.parametrize("kind", [SHELL, DOCKERFILE])
def test_gate_lets_framework_settings_through(kind):
    """A script is only decoded when the gate matches: every setting key must pass it (the deepspeed
    launcher's finding needs a CUDA_VISIBLE_DEVICES, which passes anyway)."""
    assert not [w for w in RULES.frameworks.words() if not TRIGGERS[kind].search(w.encode())]
