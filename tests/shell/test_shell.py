"""Shell scripts: variable names, program names, launch-flag values and findings, by exact span."""
import json

import pytest

from gpu2mlu.cli import main
from gpu2mlu.kinds import DOCKERFILE, SHELL, TRIGGERS, Unconvertible
from gpu2mlu.shell.lexer import lex
from tests.shell.helpers import RULES, assert_converts, assert_unchanged, dockerfile, finding_ids, shell

# ---------------------------------------------------------------- env-var


@pytest.mark.parametrize("before, after", [
    pytest.param("CUDA_VISIBLE_DEVICES=0,1 python train.py\n", "MLU_VISIBLE_DEVICES=0,1 python train.py\n", id="prefix"),
    pytest.param("CUDA_VISIBLE_DEVICES=0 PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True python t.py\n",
                 "MLU_VISIBLE_DEVICES=0 PYTORCH_MLU_ALLOC_CONF=expandable_segments:True python t.py\n", id="several-prefixes"),
    pytest.param("CUDA_VISIBLE_DEVICES=\"$GPUS\" python t.py\n", "MLU_VISIBLE_DEVICES=\"$GPUS\" python t.py\n", id="quoted-value"),
    pytest.param("CUDA_VISIBLE_DEVICES=0\n", "MLU_VISIBLE_DEVICES=0\n", id="plain-assignment"),
    pytest.param("export CUDA_VISIBLE_DEVICES=0,1\n", "export MLU_VISIBLE_DEVICES=0,1\n", id="export"),
    pytest.param("export OMP_NUM_THREADS=4 CUDA_VISIBLE_DEVICES\n", "export OMP_NUM_THREADS=4 MLU_VISIBLE_DEVICES\n", id="export-name"),
    pytest.param("declare -x CUDA_VISIBLE_DEVICES=1\n", "declare -x MLU_VISIBLE_DEVICES=1\n", id="declare-x"),
    pytest.param("typeset -x TORCH_NCCL_BLOCKING_WAIT=1\n", "typeset -x TORCH_CNCL_BLOCKING_WAIT=1\n", id="typeset"),
    pytest.param("f() {\n  local CUDA_VISIBLE_DEVICES=$1\n}\n", "f() {\n  local MLU_VISIBLE_DEVICES=$1\n}\n", id="local"),
    pytest.param("readonly CUDA_VISIBLE_DEVICES=0\n", "readonly MLU_VISIBLE_DEVICES=0\n", id="readonly"),
    pytest.param("unset CUDA_VISIBLE_DEVICES\n", "unset MLU_VISIBLE_DEVICES\n", id="unset"),
    pytest.param("unset -v CUDA_VISIBLE_DEVICES\n", "unset -v MLU_VISIBLE_DEVICES\n", id="unset-v"),
    pytest.param("printenv CUDA_VISIBLE_DEVICES\n", "printenv MLU_VISIBLE_DEVICES\n", id="printenv"),
    pytest.param("env CUDA_VISIBLE_DEVICES=0 python t.py\n", "env MLU_VISIBLE_DEVICES=0 python t.py\n", id="env"),
    pytest.param("env -i PATH=$PATH CUDA_VISIBLE_DEVICES=0 python t.py\n", "env -i PATH=$PATH MLU_VISIBLE_DEVICES=0 python t.py\n", id="env-options"),
    pytest.param("env -u CUDA_VISIBLE_DEVICES python t.py\n", "env -u MLU_VISIBLE_DEVICES python t.py\n", id="env-unset"),
    pytest.param("sudo -E env CUDA_VISIBLE_DEVICES=0 python t.py\n", "sudo -E env MLU_VISIBLE_DEVICES=0 python t.py\n", id="sudo-env"),
    pytest.param("nohup env CUDA_VISIBLE_DEVICES=0 python t.py &\n", "nohup env MLU_VISIBLE_DEVICES=0 python t.py &\n", id="nohup-env"),
    pytest.param("mpirun -np 8 -x CUDA_VISIBLE_DEVICES python t.py\n", "mpirun -np 8 -x MLU_VISIBLE_DEVICES python t.py\n", id="mpirun-x"),
    pytest.param("echo $CUDA_VISIBLE_DEVICES\n", "echo $MLU_VISIBLE_DEVICES\n", id="use"),
    pytest.param("echo ${CUDA_VISIBLE_DEVICES}\n", "echo ${MLU_VISIBLE_DEVICES}\n", id="braced-use"),
    pytest.param("G=${CUDA_VISIBLE_DEVICES:-0}\n", "G=${MLU_VISIBLE_DEVICES:-0}\n", id="default"),
    pytest.param("n=${#CUDA_VISIBLE_DEVICES}\n", "n=${#MLU_VISIBLE_DEVICES}\n", id="length"),
    pytest.param("echo \"GPUs: $CUDA_VISIBLE_DEVICES\"\n", "echo \"GPUs: $MLU_VISIBLE_DEVICES\"\n", id="use-in-double-quotes"),
    pytest.param("echo \"${CUDA_VISIBLE_DEVICES//,/ }\"\n", "echo \"${MLU_VISIBLE_DEVICES//,/ }\"\n", id="substitution-in-double-quotes"),
    pytest.param("X=${A:-${CUDA_VISIBLE_DEVICES}}\n", "X=${A:-${MLU_VISIBLE_DEVICES}}\n", id="nested-default"),
    pytest.param("N=$(( $CUDA_VISIBLE_DEVICES + 1 ))\n", "N=$(( $MLU_VISIBLE_DEVICES + 1 ))\n", id="arithmetic"),
    pytest.param("N=`echo $CUDA_VISIBLE_DEVICES | wc -c`\n", "N=`echo $MLU_VISIBLE_DEVICES | wc -c`\n", id="backticks"),
    pytest.param("[[ -z $CUDA_VISIBLE_DEVICES && -n x ]] && exit 1\n", "[[ -z $MLU_VISIBLE_DEVICES && -n x ]] && exit 1\n", id="test"),
    pytest.param("export CUDA_VISIBLE_DEVICES=0 \\\n  PYTORCH_CUDA_ALLOC_CONF=x\n",
                 "export MLU_VISIBLE_DEVICES=0 \\\n  PYTORCH_MLU_ALLOC_CONF=x\n", id="continuation"),
    pytest.param("docker run -e CUDA_VISIBLE_DEVICES=0 --env=PYTORCH_CUDA_ALLOC_CONF=x img\n",
                 "docker run -e MLU_VISIBLE_DEVICES=0 --env=PYTORCH_MLU_ALLOC_CONF=x img\n", id="docker-env"),
    pytest.param("bash -c 'CUDA_VISIBLE_DEVICES=1 python t.py'\n", "bash -c 'MLU_VISIBLE_DEVICES=1 python t.py'\n", id="bash-c-script"),
    pytest.param("export TORCH_CUDA_ARCH_LIST='8.0'\n", "export TORCH_BANG_ARCH_LIST='8.0'\n", id="different-values"),
    pytest.param("for CUDA_VISIBLE_DEVICES in 0 1; do python t.py; done\n",
                 "for MLU_VISIBLE_DEVICES in 0 1; do python t.py; done\n", id="for-variable"),
    pytest.param("read -r -p 'GPUs? ' CUDA_VISIBLE_DEVICES\n", "read -r -p 'GPUs? ' MLU_VISIBLE_DEVICES\n", id="read"),
])
def test_env_var(before, after):
    assert_converts(shell, before, after)


def test_env_var_change_rows():
    rows = [(c.line, c.rule, c.after) for c in shell("set -e\nexport CUDA_VISIBLE_DEVICES=0\n").changes]
    assert rows == [(2, "env-var", "export MLU_VISIBLE_DEVICES=0")]


# ---------------------------------------------------------------- launch-command


@pytest.mark.parametrize("before, after", [
    pytest.param("nvidia-smi\n", "cnmon\n", id="alone"),
    pytest.param("nvidia-smi > gpu.txt 2>&1\n", "cnmon > gpu.txt 2>&1\n", id="redirections"),
    pytest.param("nvidia-smi | tee log\n", "cnmon | tee log\n", id="before-pipe"),
    pytest.param("date; nvidia-smi\n", "date; cnmon\n", id="after-semicolon"),
    pytest.param("true && nvidia-smi || nvidia-smi\n", "true && cnmon || cnmon\n", id="and-or"),
    pytest.param("cat x | nvidia-smi\n", "cat x | cnmon\n", id="after-pipe"),
    pytest.param("nvidia-smi &\n", "cnmon &\n", id="background"),
    pytest.param("S=$(nvidia-smi)\n", "S=$(cnmon)\n", id="command-substitution"),
    pytest.param("S=\"$(nvidia-smi)\"\n", "S=\"$(cnmon)\"\n", id="substitution-in-double-quotes"),
    pytest.param("S=`nvidia-smi`\n", "S=`cnmon`\n", id="backticks"),
    pytest.param("diff <(nvidia-smi) old.txt\n", "diff <(cnmon) old.txt\n", id="process-substitution"),
    pytest.param("CUDA_VISIBLE_DEVICES=0 nvidia-smi\n", "MLU_VISIBLE_DEVICES=0 cnmon\n", id="after-assignment"),
    pytest.param("sudo nvidia-smi\n", "sudo cnmon\n", id="sudo"),
    pytest.param("sudo -u admin nvidia-smi\n", "sudo -u admin cnmon\n", id="sudo-user"),
    pytest.param("env nvidia-smi\n", "env cnmon\n", id="env"),
    pytest.param("exec nvidia-smi\n", "exec cnmon\n", id="exec"),
    pytest.param("time nvidia-smi\n", "time cnmon\n", id="time"),
    pytest.param("nohup nvidia-smi &\n", "nohup cnmon &\n", id="nohup"),
    pytest.param("watch nvidia-smi\n", "watch cnmon\n", id="watch"),
    pytest.param("watch -n 1 nvidia-smi\n", "watch -n 1 cnmon\n", id="watch-interval"),
    pytest.param("watch -n1 'nvidia-smi | tail -5'\n", "watch -n1 'cnmon | tail -5'\n", id="watch-script"),
    pytest.param("timeout 10 nvidia-smi\n", "timeout 10 cnmon\n", id="timeout"),
    pytest.param("if nvidia-smi; then echo ok; fi\n", "if cnmon; then echo ok; fi\n", id="if"),
    pytest.param("while true; do nvidia-smi; sleep 1; done\n", "while true; do cnmon; sleep 1; done\n", id="loop"),
    pytest.param("! nvidia-smi\n", "! cnmon\n", id="negated"),
    pytest.param("( nvidia-smi )\n", "( cnmon )\n", id="subshell"),
    pytest.param("{ nvidia-smi; }\n", "{ cnmon; }\n", id="group"),
    pytest.param("show() { nvidia-smi; }\n", "show() { cnmon; }\n", id="function-body"),
    pytest.param("case $1 in\n  gpu) nvidia-smi ;;\nesac\n", "case $1 in\n  gpu) cnmon ;;\nesac\n", id="case-body"),
    pytest.param("\"nvidia-smi\"\n", "\"cnmon\"\n", id="quoted-command"),
    pytest.param("if command -v nvidia-smi >/dev/null; then :; fi\n", "if command -v cnmon >/dev/null; then :; fi\n", id="command-v"),
    pytest.param("which nvidia-smi\n", "which cnmon\n", id="which"),
    pytest.param("bash -c \"nvidia-smi\"\n", "bash -c \"cnmon\"\n", id="bash-c"),
    pytest.param("sh -ec 'date; nvidia-smi'\n", "sh -ec 'date; cnmon'\n", id="sh-ec"),
    pytest.param("docker run --rm img nvidia-smi\n", "docker run --rm img cnmon\n", id="container-command"),
    pytest.param("nvidia-smi\r\necho done\r\n", "cnmon\r\necho done\r\n", id="crlf"),
])
def test_launch_command(before, after):
    assert_converts(shell, before, after)


def test_launch_command_rule_family():
    assert [c.rule for c in shell("nvidia-smi\n").changes] == ["launch-command"]


# ---------------------------------------------------------------- launch flags


@pytest.mark.parametrize("before, after", [
    pytest.param("python t.py --device cuda\n", "python t.py --device mlu\n", id="device"),
    pytest.param("python t.py --device=cuda:0\n", "python t.py --device=mlu:0\n", id="device-equals"),
    pytest.param("python t.py --device 'cuda'\n", "python t.py --device 'mlu'\n", id="single-quoted"),
    pytest.param("python t.py --device \"cuda:1\"\n", "python t.py --device \"mlu:1\"\n", id="double-quoted"),
    pytest.param("python t.py --device='cuda'\n", "python t.py --device='mlu'\n", id="quoted-after-equals"),
    pytest.param("python t.py --backend nccl\n", "python t.py --backend cncl\n", id="backend"),
    pytest.param("python t.py --dist-backend nccl\n", "python t.py --dist-backend cncl\n", id="dist-backend"),
    pytest.param("python t.py --dist_backend=nccl\n", "python t.py --dist_backend=cncl\n", id="dist_backend"),
    pytest.param("python t.py --ddp_backend nccl\n", "python t.py --ddp_backend cncl\n", id="ddp_backend"),
    pytest.param("python t.py --backend cpu:gloo,cuda:nccl\n", "python t.py --backend cpu:gloo,mlu:cncl\n", id="backend-spec"),
    pytest.param("python t.py --device-type cuda\n", "python t.py --device-type mlu\n", id="device-type"),
    pytest.param("python t.py device=cuda trainer.device=cuda:0 +dist_backend=nccl\n",
                 "python t.py device=mlu trainer.device=mlu:0 +dist_backend=cncl\n", id="overrides"),
    pytest.param("python train.py \\\n  --device cuda \\\n  --dist-backend nccl\n",
                 "python train.py \\\n  --device mlu \\\n  --dist-backend cncl\n", id="continued-lines"),
    pytest.param("torchrun --nproc_per_node 8 train.py --device cuda\n", "torchrun --nproc_per_node 8 train.py --device mlu\n", id="torchrun"),
    pytest.param("./train --device cuda:3\n", "./train --device mlu:3\n", id="any-program"),
    pytest.param("OUT=$(python probe.py --device cuda)\n", "OUT=$(python probe.py --device mlu)\n", id="in-substitution"),
    pytest.param("python t.py --device cuda\r\n", "python t.py --device mlu\r\n", id="crlf"),
])
def test_launch_flags(before, after):
    assert_converts(shell, before, after)


def test_flag_rule_families():
    result = shell("python t.py --device cuda --dist-backend nccl\n")
    assert sorted(c.rule for c in result.changes) == ["device-literal", "distributed"]


# ---------------------------------------------------------------- left alone


@pytest.mark.parametrize("src", [
    pytest.param("# export CUDA_VISIBLE_DEVICES=0\n", id="comment"),
    pytest.param("# nvidia-smi --device cuda\n", id="comment-command"),
    pytest.param("python t.py  # --device cuda, CUDA_VISIBLE_DEVICES=0\n", id="trailing-comment"),
    pytest.param("echo \"Training on CUDA with nccl\"\n", id="quoted-prose"),
    pytest.param("echo 'export CUDA_VISIBLE_DEVICES=0; nvidia-smi'\n", id="single-quoted-prose"),
    pytest.param("echo '$CUDA_VISIBLE_DEVICES ${CUDA_VISIBLE_DEVICES}'\n", id="single-quotes"),
    pytest.param("echo $'$CUDA_VISIBLE_DEVICES \\' still quoted'\n", id="ansi-c-quotes"),
    pytest.param("echo \\$CUDA_VISIBLE_DEVICES\n", id="escaped-dollar"),
    pytest.param("echo \"CUDA_VISIBLE_DEVICES=0 nvidia-smi\"\n", id="names-in-prose"),
    pytest.param("echo nvidia-smi\n", id="echo-argument"),
    pytest.param("echo --device cuda\n", id="echo-flag"),
    pytest.param("ls nvidia-smi.log nvidia-smi\n", id="argument"),
    pytest.param("nvidia-smi-exporter --port 9400\n", id="longer-program"),
    pytest.param("ssh node1 nvidia-smi\n", id="remote-command"),
    pytest.param("export PATH=/usr/local/cuda/bin:$PATH\n", id="cuda-path"),
    pytest.param("export CUDA_HOME=/usr/local/cuda\n", id="toolkit-home-is-not-neuware-home"),
    pytest.param("$CUDA_HOME/bin/nvcc --version\n[ -n \"$CUDA_PATH\" ] && make\n", id="toolkit-uses"),
    pytest.param("export CUDA_DEVICE_MAX_CONNECTIONS=1\n", id="unknown-cuda-variable"),
    pytest.param("LD_LIBRARY_PATH=/usr/local/cuda/lib64 python t.py\n", id="cuda-library-path"),
    pytest.param("use_cuda=1; CUDA=1; MY_CUDA_VISIBLE_DEVICES=0 python t.py\n", id="other-names"),
    pytest.param("echo $CUDA_VISIBLE_DEVICES_BACKUP ${CUDA_VISIBLE_DEVICESX}\n", id="longer-names"),
    pytest.param("echo ${!CUDA_VISIBLE_DEVICES}\n", id="indirect"),
    pytest.param("conda install cudatoolkit=11.8\n", id="longer-word"),
    pytest.param("python t.py --no-cuda --use_cuda --cuda --gpus 4 --gpu 0\n", id="unknown-flags"),
    pytest.param("python t.py cuda nccl\n", id="bare-words"),
    pytest.param("python t.py --device $DEV --device \"${DEV:-cuda}\"\n", id="dynamic-values"),
    pytest.param("python t.py --device=cu\"da\"\n", id="split-value"),
    pytest.param("python t.py --device cudagraph --backend nccl2\n", id="other-values"),
    pytest.param("python t.py --device cuda:0,1\n", id="device-list"),
    pytest.param("[[ $DEVICE == cuda ]] && echo yes\n", id="comparison"),
    pytest.param("case $DEVICE in\n  cuda|nvidia-smi) echo gpu ;;\nesac\n", id="case-patterns"),
    pytest.param("cat <<EOF\nexport CUDA_VISIBLE_DEVICES=0\nnvidia-smi --device cuda $CUDA_VISIBLE_DEVICES\nEOF\n", id="heredoc"),
    pytest.param("cat <<'EOF' > run.sh\nnvidia-smi\nEOF\n", id="quoted-heredoc"),
    pytest.param("\tcat <<-EOF\n\tnvidia-smi\n\tEOF\n", id="tab-heredoc"),
    pytest.param("python - <<PY\nimport os\nos.environ['CUDA_VISIBLE_DEVICES'] = '0'\nPY\n", id="python-heredoc"),
    pytest.param("unset -f nvidia_smi CUDA_VISIBLE_DEVICES\n", id="unset-function"),
    pytest.param("alias smi='nvidia-smi'\n", id="alias"),
    pytest.param("arr=(nvidia-smi cuda)\n", id="array-elements"),
    pytest.param("for x in CUDA_VISIBLE_DEVICES nvidia-smi; do :; done\n", id="for-words"),
    pytest.param("python t.py\n", id="nothing-to-do"),
])
def test_left_alone(src):
    assert_unchanged(shell, src)


def test_lexing_continues_after_heredoc():
    src = "cat <<EOF\nnvidia-smi\nEOF\nnvidia-smi\n"
    assert shell(src).text == "cat <<EOF\nnvidia-smi\nEOF\ncnmon\n"


def test_lexing_continues_after_quotes_with_operators():
    src = "echo 'a; nvidia-smi' \"b && nvidia-smi\" | nvidia-smi\n"
    assert shell(src).text == "echo 'a; nvidia-smi' \"b && nvidia-smi\" | cnmon\n"


def test_nesting_deeper_than_the_stack_is_unconvertible():
    with pytest.raises(Unconvertible):
        shell("echo " + "$(" * 5000 + "nvidia-smi" + ")" * 5000 + "\n")


def test_fragment_without_trailing_newline():
    assert shell("CUDA_VISIBLE_DEVICES=0 python t.py --device cuda").text == "MLU_VISIBLE_DEVICES=0 python t.py --device mlu"


def test_lexer_command_words_and_arguments():
    script = lex("A=1 sudo python t.py --x 'y z' >out 2>&1 && echo \"$B\" | tee -a log\n")
    assert [[w.value for w in words] for words in script.commands] == [
        ["A=1", "sudo", "python", "t.py", "--x", "y z"], ["echo", "\0"], ["tee", "-a", "log"]]
    assert [u.name for u in script.uses] == ["B"]


# ---------------------------------------------------------------- findings


@pytest.mark.parametrize("src, expected", [
    pytest.param("nvidia-smi --query-gpu=name --format=csv\n", [("GM500", 1)], id="nvidia-smi-options"),
    pytest.param("set -e\nN=$(nvidia-smi -L | wc -l)\n", [("GM500", 2)], id="nvidia-smi-list"),
    pytest.param("nvidia-smi > log\n", [], id="nvidia-smi-redirect-only"),
    pytest.param("/usr/bin/nvidia-smi\n", [("GM501", 1)], id="nvidia-smi-path"),
    pytest.param("nvcc -O2 -o k k.cu\n", [("GM502", 1)], id="nvcc"),
    pytest.param("$CUDA_HOME/bin/nvcc --version\n", [("GM405", 1), ("GM502", 1)], id="nvcc-path"),
    pytest.param("command -v nvcc || exit 1\n", [("GM502", 1)], id="nvcc-lookup"),
    pytest.param("docker run --gpus all img python t.py\n", [("GM503", 1)], id="docker-gpus"),
    pytest.param("docker run --gpus=\"device=0,1\" img\n", [("GM503", 1)], id="docker-gpus-equals"),
    pytest.param("docker run -it \\\n  --runtime=nvidia img\n", [("GM503", 2)], id="docker-runtime"),
    pytest.param("podman run --runtime nvidia img\n", [("GM503", 1)], id="podman-runtime"),
    pytest.param("docker run --device /dev/nvidia0 img\n", [("GM503", 1)], id="docker-nvidia-device"),
    pytest.param("nvidia-docker run img\n", [("GM503", 1)], id="nvidia-docker"),
    pytest.param("docker run img python t.py --gpus 4\n", [], id="container-flag-gpus"),
    pytest.param("python t.py --gpus 4\n", [], id="script-flag-gpus"),
    pytest.param("docker run --rm nvidia/cuda:12.1.0-base-ubuntu22.04 bash\n", [("GM505", 1)], id="docker-cuda-image"),
    pytest.param("torchrun --nproc_per_node gpu train.py\n", [("GM504", 1)], id="torchrun-gpu"),
    pytest.param("torchrun --nproc-per-node=gpu train.py\n", [("GM504", 1)], id="torchrun-gpu-equals"),
    pytest.param("torchrun --nproc-per-node=auto train.py\n", [("GM504", 1)], id="torchrun-auto"),
    pytest.param("python -m torch.distributed.run --nproc_per_node=gpu t.py\n", [("GM504", 1)], id="distributed-run"),
    pytest.param("python3 -u -m torch.distributed.launch --nproc-per-node gpu t.py\n", [("GM504", 1)], id="distributed-launch"),
    pytest.param("torchrun --nproc_per_node 8 train.py\n", [], id="torchrun-number"),
    pytest.param("python t.py --nproc_per_node gpu\n", [], id="not-a-launcher"),
    pytest.param("apt-get install -y libcudnn8 cuda-toolkit-12-1 git\n", [("GM506", 1)], id="apt-cuda"),
    pytest.param("apt-get install -y git curl\n", [], id="apt-other"),
    pytest.param("python -m torch.utils.collect_env\n", [("GM507", 1)], id="collect-env"),
    pytest.param("export CUDA_LAUNCH_BLOCKING=1\n", [("GM401", 1)], id="no-equivalent"),
    pytest.param("x=1\nNCCL_DEBUG=INFO python t.py\n", [("GM402", 2)], id="nccl-tuning"),
    pytest.param("echo\necho \"$NCCL_SOCKET_IFNAME\"\n", [("GM402", 2)], id="nccl-use"),
    pytest.param("export TORCH_CUDA_ARCH_LIST='8.0'\n", [("GM403", 1)], id="different-values"),
    pytest.param("export CUDA_HOME=/usr/local/cuda\n", [("GM405", 1)], id="toolkit-home"),
    pytest.param("export PATH=$CUDA_PATH/bin:$PATH\n", [("GM405", 1)], id="toolkit-path"),
    pytest.param("export CUDA_DEVICE_MAX_CONNECTIONS=1\n", [("GM404", 1)], id="unknown-cuda-variable"),
    pytest.param("echo \"${CUDA_DEVICE_MAX_CONNECTIONS:-1}\"\n", [("GM404", 1)], id="unknown-cuda-variable-use"),
    pytest.param("echo '$CUDA_LAUNCH_BLOCKING'\n# export NCCL_DEBUG=INFO\n", [], id="quoted-and-commented"),
])
def test_findings(src, expected):
    assert finding_ids(shell, src) == expected


def test_nvidia_smi_finding_names_the_options():
    (finding,) = shell("nvidia-smi --query-gpu=memory.used\n").findings
    assert "nvidia-smi --query-gpu=memory.used" in finding.message
    assert "cnmon" in finding.suggestion


def test_different_values_finding_carries_the_new_name_and_advice():
    (finding,) = shell("export TORCH_CUDA_ARCH_LIST='7.0;8.0'\n").findings
    assert "TORCH_BANG_ARCH_LIST" in finding.message
    assert "TORCH_BANG_ARCH_LIST=" in finding.suggestion


def test_docker_finding_suggests_cambricon_devices():
    (finding,) = shell("docker run --gpus all img\n").findings
    assert "/dev/cambricon_ctl" in finding.suggestion


# ---------------------------------------------------------------- whole script


SCRIPT = """\
#!/usr/bin/env bash
# Launch on 2 GPUs (set CUDA_VISIBLE_DEVICES to choose them)
set -euo pipefail
export CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-0,1}
export NCCL_DEBUG=INFO
nvidia-smi
echo "Training on CUDA with nccl on $CUDA_VISIBLE_DEVICES"
torchrun --nproc_per_node=2 train.py \\
    --device cuda --dist-backend nccl --no-cuda-graphs
"""

EXPECTED = """\
#!/usr/bin/env bash
# Launch on 2 GPUs (set CUDA_VISIBLE_DEVICES to choose them)
set -euo pipefail
export MLU_VISIBLE_DEVICES=${MLU_VISIBLE_DEVICES:-0,1}
export NCCL_DEBUG=INFO
cnmon
echo "Training on CUDA with nccl on $MLU_VISIBLE_DEVICES"
torchrun --nproc_per_node=2 train.py \\
    --device mlu --dist-backend cncl --no-cuda-graphs
"""


def test_whole_script():
    assert_converts(shell, SCRIPT, EXPECTED)
    assert finding_ids(shell, SCRIPT) == [("GM402", 5)]


def test_crlf_script_keeps_crlf():
    result = shell(SCRIPT.replace("\n", "\r\n"))
    assert result.text == EXPECTED.replace("\n", "\r\n")


def test_every_other_byte_is_kept():
    result = shell(SCRIPT)
    assert [(e.start, e.end) for e in result.edits] == sorted((e.start, e.end) for e in result.edits)
    rebuilt, pos = [], 0
    for e in result.edits:
        rebuilt.append(SCRIPT[pos:e.start])
        rebuilt.append(e.text)
        pos = e.end
    assert "".join(rebuilt) + SCRIPT[pos:] == result.text
    assert sum(e.end - e.start for e in result.edits) == len("CUDA_VISIBLE_DEVICES") * 3 + len("nvidia-smi") + 4 + 4


# ---------------------------------------------------------------- end to end


def test_end_to_end_run_sh_and_dockerfile(tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    (project / "run.sh").write_text(SCRIPT)
    (project / "Dockerfile").write_text(
        "FROM nvidia/cuda:12.1.0-devel-ubuntu22.04\n"
        "ENV CUDA_VISIBLE_DEVICES=0\n"
        "CMD [\"python\", \"train.py\", \"--device\", \"cuda\"]\n")
    (project / "notes.sh").write_text("echo hello\n")
    out = tmp_path / "out"
    assert main(["-i", str(project), "-o", str(out)]) == 0
    assert (out / "run.sh").read_text() == EXPECTED
    assert (out / "Dockerfile").read_text() == (
        "FROM nvidia/cuda:12.1.0-devel-ubuntu22.04\n"
        "ENV MLU_VISIBLE_DEVICES=0\n"
        "CMD [\"python\", \"train.py\", \"--device\", \"mlu\"]\n")
    assert (out / "notes.sh").read_text() == "echo hello\n"
    report = json.loads((out / "report.json").read_text())
    files = {row["file"]: (row["kind"], row["status"]) for row in report["files"]}
    assert files["run.sh"] == ("shell", "converted")
    assert files["Dockerfile"] == ("dockerfile", "converted")
    assert files["notes.sh"] == ("shell", "unchanged")
    changes = {(r["file"], r["line"], r["rule"]) for r in report["changes"]}
    assert {("run.sh", 4, "env-var"), ("run.sh", 6, "launch-command"), ("run.sh", 7, "env-var"),
            ("run.sh", 9, "device-literal"), ("run.sh", 9, "distributed"),
            ("Dockerfile", 2, "env-var"), ("Dockerfile", 3, "device-literal")} == changes
    findings = {(r["file"], r["line"], r["id"]) for r in report["findings"]}
    assert findings == {("run.sh", 5, "GM402"), ("Dockerfile", 1, "GM505")}


# ---------------------------------------------------------------- the file-kind gate


def _rule_words(rules):
    launch = rules.launch
    words = [*rules.env, *(old for old, _ in launch.renamed_programs), *launch.compilers, *launch.gpu_docker,
             *launch.docker_gpu_options, *launch.nproc_flags, *launch.cuda_report_modules,
             *(f"--runtime={v}" for v in launch.docker_runtime_values), *launch.docker_device_prefixes]
    return words + [f"--device {v}" for v in rules.devices] + [f"--backend {v}" for v in rules.backends]


@pytest.mark.parametrize("kind", [SHELL, DOCKERFILE])
def test_trigger_gate_lets_every_rule_through(kind):
    """A file is only decoded when the gate matches: every word a rule looks for must pass it."""
    gate = TRIGGERS[kind]
    missed = [w for w in _rule_words(RULES) if not gate.search(w.encode())]
    assert not missed


@pytest.mark.parametrize("image", ["nvidia/cuda:12.1.0-base", "nvcr.io/nvidia/pytorch:23.10-py3", "pytorch/pytorch",
                                   "pytorch/pytorch:2.1.0-cuda11.8-cudnn8-runtime", "tensorflow/tensorflow:2.15.0-gpu",
                                   "winglian/axolotl:main-py3.11-cu121-2.2.1"])
def test_cuda_images_pass_the_gate_and_are_reported(image):
    src = f"FROM {image}\n"
    assert TRIGGERS[DOCKERFILE].search(src.encode())
    assert finding_ids(dockerfile, src) == [("GM505", 1)]


@pytest.mark.parametrize("script, expected", [
    pytest.param("pip install torch==2.1.0+cu118 --index-url https://download.pytorch.org/whl/cu118\n",
                 [(1, "GM311"), (1, "GM312")], id="cuda-torch-and-index"),
    pytest.param("python3 -m pip install -q flash-attn==2.5.8 numpy\n", [(1, "GM310")], id="python-m-pip"),
    pytest.param("pip --no-cache-dir install \\\n    numpy \\\n    'xformers>=0.0.20'\n", [(3, "GM310")],
                 id="continued-and-quoted"),
    pytest.param("pip install --extra-index-url=https://download.pytorch.org/whl/cu121 x\n", [(1, "GM312")],
                 id="attached-index-url"),
])
def test_pip_installs_are_judged_like_requirement_files(script, expected):
    result = shell(script)
    assert result.text == script
    assert sorted((f.line, f.id) for f in result.findings) == expected


@pytest.mark.parametrize("script", [
    "pip install -r requirements.txt\n",
    "pip download flash-attn\n",
    "pip install $EXTRA_PACKAGES\n",
    "pip install numpy torch==2.4.0\n",
    "echo pip install flash-attn\n",
])
def test_pip_commands_without_cuda_packages_say_nothing(script):
    assert shell(script).findings == ()
