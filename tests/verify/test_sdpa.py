"""scaled_dot_product_attention on the emulated MLU honours the SDPA switches as CPU does.

The switches (torch.backends.mlu.sdp_kernel / enable_*_sdp, torch.nn.attention.sdpa_kernel) are
PyTorch's process-global at::Context flags, read by every device's kernel choice; torch_mlu's
torch.backends.mlu mirrors torch.backends.cuda's and its choice reads the same flags. The
emulator's choice is the CPU's under those flags (composites.cpp, fused_sdp_choice), so for any
setting the MLU computes what a CPU run with that setting computes, bit for bit, forward and
backward; a setting CPU rejects is rejected too.

What this does NOT make equal: a program that picks its settings by device. vit-pytorch's
SimpleViT (Attend.flash_attn) enables all kernels on CPU but, on the accelerator, flash only on
an A100 (8.0) and otherwise flash off, math and mem-efficient on; the emulated MLU590 reports
5.9, so the converted model runs the math path while the original on CPU runs CPU's flash
kernel, and the two round differently (a few float32 ulps). A real MLU would run math too: its
fused kernels take only float16/bfloat16 (torch_mlu sdp_utils.cpp), so float32 attention with
math enabled always takes the math path there.
"""

SDPA = """
    import itertools, warnings, torch, torch_mlu
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel
    warnings.simplefilter("ignore", FutureWarning)   # sdp_kernel is deprecated, still used

    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 4, 16, 8, generator=g) for _ in range(3))
    mask = torch.randn(16, 16, generator=g) > 0
    grad = torch.randn(2, 4, 16, 8, generator=g)

    def flags():
        m = torch.backends.mlu
        return (m.flash_sdp_enabled(), m.math_sdp_enabled(), m.mem_efficient_sdp_enabled())

    def run(dev, **kw):
        qi, ki, vi = (t.to(dev, copy=True).requires_grad_() for t in (q, k, v))
        kw = {n: (t.to(dev) if isinstance(t, torch.Tensor) else t) for n, t in kw.items()}
        choice = torch._fused_sdp_choice(qi, ki, vi, kw.get("attn_mask"),
                                         is_causal=kw.get("is_causal", False))
        out = F.scaled_dot_product_attention(qi, ki, vi, **kw)
        out.backward(grad.to(dev))
        assert out.device.type == dev and out.grad_fn is not None
        return choice, [t.detach().cpu() for t in (out, qi.grad, ki.grad, vi.grad)]

    def same(a, b):
        return all(torch.equal(x, y) for x, y in zip(a, b))
"""


def test_sdpa_matches_cpu_bitwise_under_every_kernel_setting(emulator, tmp_path):
    r = emulator.run(tmp_path, SDPA + """
    default = flags()
    assert default == (True, True, True), default
    cases = [{}, {"is_causal": True}, {"attn_mask": mask}]
    checked = []
    for flash, math, mem in itertools.product((True, False), repeat=3):
        with torch.backends.mlu.sdp_kernel(enable_flash=flash, enable_math=math,
                                           enable_mem_efficient=mem):
            # the stand-in's switches are the global ones, as torch_mlu's are
            assert flags() == (flash, math, mem)
            assert torch.backends.cuda.flash_sdp_enabled() == flash
            for kw in cases:
                try:
                    cpu = run("cpu", **kw)
                except RuntimeError as exc:
                    assert "No viable backend" in str(exc), exc
                    try:
                        run("mlu", **kw)
                    except RuntimeError as mlu_exc:
                        assert "No viable backend" in str(mlu_exc), mlu_exc
                    else:
                        raise AssertionError(f"mlu ran what CPU rejects: {(flash, math, mem)}")
                    continue
                mlu = run("mlu", **kw)
                assert mlu[0] == cpu[0], ((flash, math, mem), kw, mlu[0], cpu[0])
                assert same(mlu[1], cpu[1]), ((flash, math, mem), kw)
                checked.append((cpu[0], flash, math, mem))
        assert flags() == default                     # restored on exit
    kinds = {c[0] for c in checked}
    assert kinds == {int(SDPBackend.MATH), int(SDPBackend.FLASH_ATTENTION)}, checked
    for backend in (SDPBackend.MATH, SDPBackend.FLASH_ATTENTION):   # the new context manager
        with sdpa_kernel(backend):
            assert same(run("mlu")[1], run("cpu")[1]), backend
    print("OK", len(checked))
    """)
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout


def test_flash_disabled_on_the_mlu_runs_the_math_path_not_cpus_flash(emulator, tmp_path):
    # vit-pytorch's Attend: all kernels on CPU, Config(False, True, True) on a non-A100 device.
    r = emulator.run(tmp_path, SDPA + """
    with sdpa_kernel(SDPBackend.MATH):
        math_cpu = run("cpu")[1]
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        flash_cpu = run("cpu")[1]
    assert not same(math_cpu, flash_cpu)        # the input tells the two kernels apart
    choice_cpu, all_cpu = run("cpu")            # the original on CPU: everything enabled
    assert choice_cpu == int(SDPBackend.FLASH_ATTENTION) and same(all_cpu, flash_cpu)
    with torch.backends.mlu.sdp_kernel(enable_flash=False, enable_math=True,
                                       enable_mem_efficient=True):
        choice, mlu = run("mlu")
    assert choice == int(SDPBackend.MATH), choice
    assert same(mlu, math_cpu)                  # what CPU computes with these settings
    assert not same(mlu, all_cpu)               # so not what the CPU run of the original does
    print("OK")
    """)
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout
