"""Regressions for emulator crashes and errors the OpInfo sweep found (tests/verify/opinfo_sweep.py).

Each case runs under verify and must match a CPU run bitwise (values, dtypes, gradients).
"""


def test_efficient_zero_tensors_on_mlu(emulator, tmp_path):
    # An efficient zero tensor has no memory; the MLU one lost its ZeroTensor key and
    # any read of it (.cpu(), + 1, sgn's gradient) dereferenced its empty storage: SIGSEGV.
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        z = torch._efficientzerotensor(3, device="mlu")
        assert z.device.type == "mlu" and z._is_zerotensor()
        assert torch.equal(z.cpu(), torch.zeros(3))
        assert torch.equal((z + 1).cpu(), torch.ones(3))
        x = torch.arange(3.)
        assert torch.equal((z * x.mlu()).cpu(), torch.zeros(3))
        assert torch.equal((x.mlu() - z).cpu(), x)
        v = z.view(3, 1)[1:]
        assert v._is_zerotensor() and torch.equal(v.cpu(), torch.zeros(2, 1))
        assert torch.equal(z.clone().cpu(), torch.zeros(3))
        try:
            z.add_(1)
        except RuntimeError as exc:
            assert "ZeroTensors are immutable" in str(exc), exc
        else:
            raise AssertionError("an in-place op on a ZeroTensor must raise, as on CPU")
        # sgn's real backward is an efficient zero tensor
        for dtype in (torch.float32, torch.float16, torch.bfloat16):
            a = torch.randn(5, dtype=dtype, requires_grad=True)
            m = a.detach().mlu().requires_grad_()
            cot = torch.randn(5, dtype=dtype)
            (g,) = torch.autograd.grad(torch.sgn(a), a, cot)
            (gm,) = torch.autograd.grad(torch.sgn(m), m, cot.mlu())
            assert gm.device.type == "mlu" and torch.equal(g, gm.cpu()), dtype
        print("OK")
    """)
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout


def test_complex_backward_on_the_autograd_thread(emulator, tmp_path):
    # polar, eig and eigvals: their backward resolves conjugate views of complex
    # gradients on the mlu autograd thread; that recursed until SIGSEGV.
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        torch.manual_seed(0)

        def grads(fn, inputs, device):
            xs = [t.detach().to(device).requires_grad_() for t in inputs]
            outs = fn(*xs)
            outs = outs if isinstance(outs, tuple) else (outs,)
            g = torch.Generator().manual_seed(1)
            cots = [torch.randn(o.shape, dtype=o.dtype, generator=g).to(device) for o in outs]
            return [t.cpu() for t in torch.autograd.grad(outs, xs, cots)]

        a = torch.rand(4) + 0.1
        b = torch.randn(4)
        m = torch.randn(4, 4)
        for name, fn, ins in [("polar", torch.polar, (a, b)),
                              # eigenvectors are defined up to a phase: keep |V|
                              ("eig", lambda x: (lambda w, V: (w, V.abs()))(*torch.linalg.eig(x)),
                               (m,)),
                              ("eigvals", torch.linalg.eigvals, (m,))]:
            c, d = grads(fn, ins, "cpu"), grads(fn, ins, "mlu")
            assert all(torch.equal(x, y) for x, y in zip(c, d)), name
        print("OK")
    """)
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout


def test_native_layer_norm_reduced_precision_stats(emulator, tmp_path):
    # mean and rstd must come back in the dtype (and with the bits) the CPU kernel gives.
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        torch.manual_seed(0)
        for dtype in (torch.float16, torch.bfloat16):
            x = torch.randn(3, 5, 8, dtype=dtype)
            w, b = torch.randn(8, dtype=dtype), torch.randn(8, dtype=dtype)
            for args in ((x, [8], w, b, 1e-5), (x, [5, 8], None, None, 1e-5)):
                c = torch.native_layer_norm(*args)
                m = torch.native_layer_norm(*[a.mlu() if isinstance(a, torch.Tensor) else a
                                              for a in args])
                for tc, tm in zip(c, m):
                    assert tm.device.type == "mlu" and tc.dtype == tm.dtype, (dtype, tc.dtype, tm.dtype)
                    assert torch.equal(tc, tm.cpu()), dtype
        print("OK")
    """)
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout


def test_sdpa_with_attn_mask_requiring_grad(emulator, tmp_path):
    # CPU takes the math path when attn_mask requires grad; the mlu kernel choice asked
    # CPU on aliases without requires_grad, got flash, and flash refused the mask.
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        import torch.nn.functional as F
        torch.manual_seed(0)
        q, k, v = (torch.randn(2, 3, 5, 8) for _ in range(3))
        mask = torch.randn(5, 5)
        for need in ((True, True, True, True), (False, False, False, True)):
            def run(device):
                ts = [t.to(device).requires_grad_(n) for t, n in zip((q, k, v, mask), need)]
                out = F.scaled_dot_product_attention(*ts[:3], attn_mask=ts[3])
                wanted = [t for t in ts if t.requires_grad]
                gs = torch.autograd.grad(out, wanted, torch.ones_like(out))
                return [out.cpu()] + [g.cpu() for g in gs]
            c, m = run("cpu"), run("mlu")
            assert all(torch.equal(x, y) for x, y in zip(c, m)), need
        print("OK")
    """)
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout
