"""verify never calls a failed or degraded run clean: CPU fallbacks, dtype limits, crashes anywhere."""

import os
import subprocess
import sys

from conftest import pythonpath_with_repo
from test_distributed import free_port


def _verify(tmp_path, *args):
    env = {**os.environ, **pythonpath_with_repo()}
    return subprocess.run([sys.executable, "-m", "gpu2mlu.verify", *args], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)


def _problems(run, kind):
    return [p for p in run.summary.problems if p.kind == kind]


# ---------------------------------------------------------------- op coverage (item 3)

def test_kernel_lists_per_line_come_from_torch_mlu_codegen():
    from gpu2mlu.verify import kernels

    lists = {line: kernels.load(line) for line in ("2.1", "2.3", "2.4")}
    assert {line: len(names) for line, names in lists.items()} == {
        "2.1": 715, "2.3": 718, "2.4": 723}
    for line, names in lists.items():
        head = kernels.path_for(line).read_text().splitlines()[:3]
        assert "Cambricon/torch_mlu codegen/mlu_functions.yaml" in head[1]
        assert f"torch{line}.0" in head[2] and "commit" in head[2]
        assert len(names) == len(set(names))
        assert "add.Tensor" in names and "convolution_backward" in names
        assert not any(n.startswith("renorm") for n in names)
    assert "matmul" not in lists["2.1"] and "matmul" in lists["2.3"]
    assert "scaled_dot_product_attention" in lists["2.4"]
    assert "scaled_dot_product_attention" not in lists["2.3"]


def test_refresh_parser_reads_only_live_aten_entries():
    from gpu2mlu.verify import kernels

    text = ("# header\naten:\n  - func: add.Tensor\n    structured_delegate: add.out\n"
            "  #- func: commented_out\n  - func: _fused_sdp_choice(Tensor q) -> int\n"
            "  - func: add.Tensor\nvision:\n  - func: nms(Tensor dets) -> Tensor\n")
    assert kernels.parse_yaml(text) == ["add.Tensor", "_fused_sdp_choice"]


def test_op_without_mlu_kernel_is_a_cpu_fallback_at_the_call_site(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        x = torch.randn(4, 3, device="mlu")
        y = x * 2 + 1                                   # MLU kernels: not reported
        for _ in range(3):
            z = torch.renorm(y, 2, 0, 1.0)
        print(z.device)
    """)
    assert r.returncode == 0, r.stderr
    assert "mlu:0" in r.stdout
    text = ("The operator 'aten::renorm.out' is not currently supported on the MLU backend and "
            "will fall back to run on the CPU. This may have performance implications.")
    assert text in r.stderr  # torch_mlu's own warning, once
    assert r.stderr.count("is not currently supported on the MLU backend") == 1
    [p] = _problems(r, "cpu-fallback")
    assert (p.api, p.where, p.count, p.detail) == ("aten::renorm.out", "main.py:6", 3, text)
    assert len(r.summary.problems) == 1


def test_ops_inside_a_covered_composite_are_not_cpu_fallbacks(emulator, tmp_path):
    """SDPA's math path (a mask, no flash) calls _safe_softmax, whose decomposition calls
    isneginf; a real MLU runs SDPA as one kernel, so neither is a fallback there."""
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        q = torch.randn(2, 2, 4, 8, device="mlu", requires_grad=True)
        mask = torch.ones(4, 4, dtype=torch.bool, device="mlu").tril()
        from torch.nn.attention import SDPBackend, sdpa_kernel
        with sdpa_kernel(SDPBackend.MATH):
            out = torch.nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=mask)
            out.sum().backward()
            cpu = q.detach().cpu().requires_grad_()
            ref = torch.nn.functional.scaled_dot_product_attention(cpu, cpu, cpu,
                                                                   attn_mask=mask.cpu())
            ref.sum().backward()
        assert torch.equal(out.detach().cpu(), ref.detach()) and torch.equal(q.grad.cpu(), cpu.grad)
    """)
    assert r.returncode == 0, r.stderr
    assert "is not currently supported on the MLU backend" not in r.stderr
    assert not _problems(r, "cpu-fallback"), r.summary.problems


def test_backward_fallback_is_attributed_to_the_backward_call(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        x = torch.randn(4, 3, device="mlu", requires_grad=True)
        y = torch.renorm(x, 2, 0, 1.0).sum()

        y.backward()
    """)
    assert r.returncode == 0, r.stderr
    names = {p.api: p.where for p in _problems(r, "cpu-fallback")}
    assert names["aten::renorm.out"] == "main.py:4"
    # renorm's backward runs on autograd's device thread: the project's line is backward()
    assert set(names.values()) <= {"main.py:4", "main.py:6"}


def test_float64_on_the_device_is_reported_once_with_its_source(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        x = torch.randn(3, device="mlu")
        s = torch.amp.GradScaler("mlu")                 # uses float64 internally: not reported
        d = x.double()
        print((d * 2).sum().item(), (d + 1).mean().item())
    """)
    assert r.returncode == 0, r.stderr
    [p] = _problems(r, "dtype")
    assert (p.api, p.where) == ("torch.float64", "main.py:6")
    assert "computes it as torch.float32" in p.detail
    assert "types.cpp" in p.detail


def test_strict_fails_on_a_cpu_fallback(emulator, tmp_path):
    (tmp_path / "prog.py").write_text(
        "import torch, torch_mlu\nx = torch.ones(2, 2, device='mlu')\n"
        "torch.renorm(x, 2, 0, 1.0)\n")
    r = _verify(tmp_path, "--strict", "--", sys.executable, "prog.py")
    assert r.returncode == 1, r.stderr
    assert "cpu-fallback: aten::renorm.out at prog.py:3" in r.stderr
    assert "problems: none" not in r.stderr


# ---------------------------------------------------------------- failures (item 4)

def test_uncaught_exception_names_type_message_and_line(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu

        def load(n):
            raise ValueError(f"bad shard {n}")

        load(7)
    """)
    assert r.returncode == 1
    [p] = _problems(r, "uncaught-exception")
    assert (p.api, p.where) == ("ValueError: bad shard 7", "main.py:5")


def test_import_error_before_the_first_mlu_call_is_a_problem(emulator, tmp_path):
    (tmp_path / "prog.py").write_text("import os\nimport no_such_module_gpu2mlu\nimport torch\n")
    r = _verify(tmp_path, "--", sys.executable, "prog.py")
    assert r.returncode == 1
    assert ("uncaught-exception: ModuleNotFoundError: No module named 'no_such_module_gpu2mlu' "
            "at prog.py:2") in r.stderr
    assert "exit: command exited with 1" in r.stderr
    assert "problems: none" not in r.stderr


def test_sigsegv_names_the_process_the_signal_and_the_line(emulator, tmp_path):
    (tmp_path / "prog.py").write_text(
        "import os, signal\nimport torch, torch_mlu\nx = torch.ones(1, device='mlu')\n"
        "os.kill(os.getpid(), signal.SIGSEGV)\n")
    r = _verify(tmp_path, "--", sys.executable, "prog.py")
    assert r.returncode == 128 + 11  # the shell's convention for "killed by signal 11"
    assert "command exited with -11 (killed by SIGSEGV)" in r.stderr
    assert "died of SIGSEGV at prog.py:4" in r.stderr and "(prog.py)" in r.stderr
    assert "exit: command killed by SIGSEGV" in r.stderr
    assert "problems: none" not in r.stderr


def test_killed_child_process_is_reported(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import os, signal, subprocess, sys
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        import time; time.sleep(1.5)                    # let it start and log itself
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    """)
    assert r.returncode == 0, r.stderr
    [p] = _problems(r, "killed")
    assert p.api.startswith("process ") and "(-c)" in p.api


def test_exception_in_an_mp_spawn_child_is_reported_from_the_child(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        import torch.multiprocessing as mp

        def worker(rank):
            torch.mlu.set_device(rank)
            if rank == 1:
                raise KeyError(f"rank {rank} lost its shard")

        if __name__ == "__main__":
            mp.spawn(worker, nprocs=2)
    """)
    assert r.returncode == 1
    found = {(p.api, p.where) for p in _problems(r, "uncaught-exception")}
    assert ("KeyError: 'rank 1 lost its shard'", "main.py:8") in found  # the child's own frame
    assert any(api.startswith("torch.multiprocessing.spawn.ProcessRaisedException")
               and where == "main.py:11" for api, where in found)  # and the launcher's


def test_data_parallel_is_a_problem_at_its_line(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        net = torch.nn.Linear(4, 2).mlu()
        net = torch.nn.DataParallel(net, device_ids=[0, 1])
        net(torch.randn(8, 4, device="mlu"))
    """)
    assert r.returncode != 0  # DataParallel's scatter is CUDA-only, as on real torch_mlu
    [p] = _problems(r, "data-parallel")
    assert (p.api, p.where) == ("torch.nn.DataParallel", "main.py:4")
    assert "DistributedDataParallel" in p.detail
    assert _problems(r, "uncaught-exception")  # and the crash itself


def test_ddp_over_gloo_with_mlu_tensors_names_both_lines(emulator, tmp_path):
    r = emulator.run(tmp_path, f"""
        import torch, torch_mlu
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel as DDP

        backend = "nccl" if torch.mlu.device_count() > 8 else "gloo"
        dist.init_process_group(backend, init_method="tcp://127.0.0.1:{free_port()}",
                                rank=0, world_size=1)
        model = DDP(torch.nn.Linear(4, 2).mlu())
    """)
    assert r.returncode != 0
    assert "No backend type associated with device type mlu" in r.stderr
    [p] = _problems(r, "gloo-with-mlu")
    assert p.where == "main.py:9" and "'gloo'" in p.api
    assert "created at main.py:7" in p.detail and "cncl" in p.detail


def test_clean_run_still_says_problems_none(emulator, tmp_path):
    (tmp_path / "prog.py").write_text(
        "import torch, torch_mlu\nx = torch.ones(3, device='mlu')\nprint((x * 2).sum().item())\n")
    r = _verify(tmp_path, "--strict", "--", sys.executable, "prog.py")
    assert r.returncode == 0, r.stderr
    assert "problems: none" in r.stderr


def test_nonzero_exit_is_a_problem_even_when_nothing_else_was_recorded(emulator, tmp_path):
    (tmp_path / "prog.py").write_text("import sys\nsys.exit(4)\n")
    r = _verify(tmp_path, "--", sys.executable, "prog.py")
    assert r.returncode == 4
    assert "exit: command exited with 4 at" in r.stderr and "problems: none" not in r.stderr
