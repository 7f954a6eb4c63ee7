"""Command lines the scanner must read to their end: MPI launchers with multi-word options, and
commands kept in variables and run later (`eval $run_cmd`, `$cmd`, `bash -c "$cmd"`).

On MLU an unconverted CUDA_VISIBLE_DEVICES is ignored and every device becomes visible, so a
variable missed anywhere on such a line is a silent misconfiguration.
"""
import pytest

from tests.shell.helpers import assert_converts, assert_unchanged, finding_ids, shell

# ---------------------------------------------------------------- MPI launchers


@pytest.mark.parametrize("before, after", [
    pytest.param("mpirun -np 2 --mca btl ^openib -x CUDA_VISIBLE_DEVICES=0,1 python t.py\n",
                 "mpirun -np 2 --mca btl ^openib -x MLU_VISIBLE_DEVICES=0,1 python t.py\n", id="mca-then-x"),
    pytest.param("mpirun --mca btl_tcp_if_include eth0 -mca pml ob1 -x CUDA_VISIBLE_DEVICES python t.py --device cuda\n",
                 "mpirun --mca btl_tcp_if_include eth0 -mca pml ob1 -x MLU_VISIBLE_DEVICES python t.py --device mlu\n",
                 id="two-mca-then-program-flags"),
    pytest.param("mpirun -np 8 -bind-to none -map-by slot -x CUDA_VISIBLE_DEVICES=0,1 python t.py\n",
                 "mpirun -np 8 -bind-to none -map-by slot -x MLU_VISIBLE_DEVICES=0,1 python t.py\n",
                 id="single-dash-value-options"),
    pytest.param("mpirun --allow-run-as-root --oversubscribe -x CUDA_VISIBLE_DEVICES=0 python t.py\n",
                 "mpirun --allow-run-as-root --oversubscribe -x MLU_VISIBLE_DEVICES=0 python t.py\n", id="switches"),
    pytest.param("mpiexec -genv CUDA_VISIBLE_DEVICES 0,1 -ppn 2 python t.py\n",
                 "mpiexec -genv MLU_VISIBLE_DEVICES 0,1 -ppn 2 python t.py\n", id="mpich-genv"),
    pytest.param("orterun --mca btl ^openib -x CUDA_VISIBLE_DEVICES=0 python t.py\n",
                 "orterun --mca btl ^openib -x MLU_VISIBLE_DEVICES=0 python t.py\n", id="orterun"),
])
def test_mpi_options_do_not_end_the_scan(before, after):
    assert_converts(shell, before, after)


def test_mpi_exports_after_a_pair_option_are_reported():
    assert finding_ids(shell, "mpirun --mca btl ^openib -x NCCL_DEBUG=INFO python t.py\n") == [("GM402", 1)]


# ---------------------------------------------------------------- command lines in variables


@pytest.mark.parametrize("before, after", [
    pytest.param('run_cmd="CUDA_VISIBLE_DEVICES=0,1 deepspeed t.py"\neval $run_cmd\n',
                 'run_cmd="MLU_VISIBLE_DEVICES=0,1 deepspeed t.py"\neval $run_cmd\n', id="eval"),
    pytest.param('run_cmd="CUDA_VISIBLE_DEVICES=0,1 python t.py --device cuda"\neval "${run_cmd}"\n',
                 'run_cmd="MLU_VISIBLE_DEVICES=0,1 python t.py --device mlu"\neval "${run_cmd}"\n', id="eval-quoted-braced"),
    pytest.param("cmd='CUDA_VISIBLE_DEVICES=0 python t.py'\n$cmd 2>&1 | tee log\n",
                 "cmd='MLU_VISIBLE_DEVICES=0 python t.py'\n$cmd 2>&1 | tee log\n", id="expanded-as-program"),
    pytest.param('cmd="python t.py --dist-backend nccl"\nnohup ${cmd} > log &\n',
                 'cmd="python t.py --dist-backend cncl"\nnohup ${cmd} > log &\n', id="after-prefix"),
    pytest.param('export CMD="CUDA_VISIBLE_DEVICES=1 python t.py"\nbash -c "$CMD"\n',
                 'export CMD="MLU_VISIBLE_DEVICES=1 python t.py"\nbash -c "$CMD"\n', id="exported-bash-c"),
    pytest.param('f() {\n  local cmd="nvidia-smi"\n  $cmd\n}\n', 'f() {\n  local cmd="cnmon"\n  $cmd\n}\n', id="local"),
    pytest.param('cmd="torchrun t.py"\ncmd+=" --device cuda"\n$cmd\n',
                 'cmd="torchrun t.py"\ncmd+=" --device mlu"\n$cmd\n', id="appended-arguments"),
    pytest.param('cmd="$LAUNCHER --device cuda"\n$cmd\n', 'cmd="$LAUNCHER --device mlu"\n$cmd\n', id="built-on-a-variable"),
    pytest.param('eval "CUDA_VISIBLE_DEVICES=0 python t.py"\n', 'eval "MLU_VISIBLE_DEVICES=0 python t.py"\n', id="eval-literal"),
    pytest.param("eval CUDA_VISIBLE_DEVICES=0 python t.py --device cuda\n",
                 "eval MLU_VISIBLE_DEVICES=0 python t.py --device mlu\n", id="eval-words"),
    pytest.param('cmd="CUDA_VISIBLE_DEVICES=0,1 python t.py"\r\neval $cmd\r\n',
                 'cmd="MLU_VISIBLE_DEVICES=0,1 python t.py"\r\neval $cmd\r\n', id="crlf"),
])
def test_command_lines_in_variables(before, after):
    assert_converts(shell, before, after)


def test_findings_inside_a_command_line_carry_the_assignment_line():
    src = 'set -e\nrun_cmd="CUDA_VISIBLE_DEVICES=0,1 NCCL_DEBUG=INFO deepspeed t.py"\neval $run_cmd\n'
    assert finding_ids(shell, src) == [("GM402", 2), ("GM707", 2)]  # GM707: see test_frameworks.py


@pytest.mark.parametrize("src", [
    pytest.param('msg="CUDA_VISIBLE_DEVICES=0 python t.py --device cuda"\necho "$msg"\n', id="printed-not-run"),
    pytest.param('cmd="nvidia-smi"\npython t.py --name "$cmd"\n', id="argument-not-command"),
    pytest.param('cmd="CUDA_VISIBLE_DEVICES=0 python t.py"\nlog "$cmd" ran\n', id="passed-to-a-function"),
    pytest.param('cmd="--device cuda"\npython t.py $cmd\n', id="arguments-expanded-later"),
    pytest.param("cmd=(python t.py --device cuda)\n\"${cmd[@]}\"\n", id="array"),
    pytest.param('cmd="python t.py"\neval "$cmd" # CUDA_VISIBLE_DEVICES=0\n', id="nothing-to-convert"),
])
def test_command_lines_left_alone(src):
    assert_unchanged(shell, src)
