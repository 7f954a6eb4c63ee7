"""Residual CUDA and APIs real torch_mlu lacks fail at once, naming file:line."""

import pytest

CUDA_CASES = {
    "torch_cuda_attr": ("torch.cuda.synchronize()", "torch.cuda.synchronize", "use torch.mlu.synchronize"),
    "tensor_cuda": ("torch.ones(2).cuda()", "Tensor.cuda()", ".mlu()"),
    "module_cuda": ("torch.nn.Linear(2, 2).cuda()", "Module.cuda()", ".mlu()"),
    "cuda_device": ("torch.zeros(2, device='cuda')", "'cuda' device", "'mlu'"),
    "to_cuda": ("torch.zeros(2).to(torch.device('cuda', 0))", "'cuda' device", "'mlu'"),
    "is_cuda": ("torch.ones(1).is_cuda", "Tensor.is_cuda", "is_mlu"),
    "autocast": ("torch.autocast('cuda')", "torch.autocast('cuda')", "'mlu'"),
    "grad_scaler_default": ("torch.amp.GradScaler()", "defaults to 'cuda'", "'mlu'"),
    "cuda_amp": ("torch.cuda.amp.GradScaler()", "torch.cuda.amp", "torch.amp.GradScaler('mlu')"),
    "nccl": ("import torch.distributed as dist; dist.init_process_group('nccl', "
             "init_method='tcp://127.0.0.1:29591', rank=0, world_size=1)",
             "backend='nccl'", "cncl"),
}


@pytest.mark.parametrize("case", sorted(CUDA_CASES))
def test_residual_cuda_fails_with_location_and_advice(emulator, tmp_path, case):
    code, what, advice = CUDA_CASES[case]
    r = emulator.run(tmp_path, f"import torch\nimport torch_mlu\n\n{code}\nprint('NOT REACHED')\n")
    assert r.returncode != 0
    assert "NOT REACHED" not in r.stdout
    assert "ResidualCudaError" in r.stderr and "main.py:4" in r.stderr, r.stderr
    assert what in r.stderr and advice in r.stderr, r.stderr
    assert [(p.kind, p.where) for p in r.summary.problems] == [("residual-cuda", "main.py:4")]


def test_guards_apply_without_importing_torch_mlu(emulator, tmp_path):
    # A file the converter missed: the stand-in still arrives with `import torch`.
    r = emulator.run(tmp_path, "import torch\nprint(torch.mlu.device_count())\ntorch.cuda.is_available()\n")
    assert r.returncode != 0 and r.stdout.strip() == "2"
    assert "main.py:3" in r.stderr


def test_torch_internals_may_probe_cuda(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        torch.manual_seed(0)                      # calls torch.cuda.manual_seed_all inside
        with torch.random.fork_rng(devices=[]):
            pass
        print("OK")
    """)
    assert r.returncode == 0, r.stderr


def test_api_missing_from_torch_mlu_fails_clearly(emulator, tmp_path):
    r = emulator.run(tmp_path, "import torch, torch_mlu\n\ntorch.mlu.get_sync_debug_mode()\n")
    assert r.returncode != 0
    assert "torch.mlu.get_sync_debug_mode" in r.stderr and "does not exist in torch_mlu" in r.stderr
    assert "main.py:3" in r.stderr
    assert [(p.kind, p.api) for p in r.summary.problems] == [
        ("unsupported-api", "torch.mlu.get_sync_debug_mode")]


def test_backends_surface_is_gated_too(emulator, tmp_path):
    r = emulator.run(tmp_path, "import torch, torch_mlu\nprint(torch.backends.mlu.preferred_linalg_library)\n")
    assert r.returncode != 0
    assert "torch.backends.mlu.preferred_linalg_library" in r.stderr


def test_real_api_that_is_not_emulated_says_so(emulator, tmp_path):
    r = emulator.run(tmp_path, "import torch, torch_mlu\ng = torch.mlu.MLUGraph()\n")
    assert r.returncode != 0
    assert "exists in torch_mlu but the MLU emulator does not implement it" in r.stderr
    assert r.summary.problems[0].kind == "not-emulated"


def test_surface_comes_from_the_rule_tables():
    from gpu2mlu.verify import api_surface

    names = api_surface.mlu_api("2.4")
    assert "torch.mlu.synchronize" in names and "torch.mlu.amp.GradScaler" in names
    assert "torch.mlu.get_sync_debug_mode" not in names
