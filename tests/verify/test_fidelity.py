"""The emulated MLU keeps a real device's semantics: Parameter identity, device RNG, pinning."""

GPT = """
    import torch, torch_mlu
    import torch.nn.functional as F

    class Block(torch.nn.Module):
        def __init__(self, d, p):
            super().__init__()
            self.ln1, self.ln2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)
            self.qkv, self.proj = torch.nn.Linear(d, 3 * d), torch.nn.Linear(d, d)
            self.mlp = torch.nn.Sequential(torch.nn.Linear(d, 4 * d), torch.nn.GELU(),
                                           torch.nn.Linear(4 * d, d), torch.nn.Dropout(p))
            self.p = p

        def forward(self, x):
            b, t, d = x.shape
            q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, 2, d // 2).permute(2, 0, 3, 1, 4)
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                               dropout_p=self.p if self.training else 0.0)
            x = x + self.proj(a.transpose(1, 2).reshape(b, t, d))
            return x + self.mlp(self.ln2(x))

    class GPT(torch.nn.Module):
        def __init__(self, vocab=50, d=16, p=0.0):
            super().__init__()
            self.wte, self.wpe = torch.nn.Embedding(vocab, d), torch.nn.Embedding(8, d)
            self.blocks = torch.nn.Sequential(Block(d, p), Block(d, p))
            self.head = torch.nn.Linear(d, vocab, bias=False)
            self.head.weight = self.wte.weight          # tied, as GPT-2 does
            self.drop = torch.nn.Dropout(p)

        def forward(self, idx):
            pos = torch.arange(idx.shape[1], device=idx.device)
            return self.head(self.blocks(self.drop(self.wte(idx) + self.wpe(pos))))

    def train(device, p=0.0, steps=4, move_after_optimizer=True):
        torch.manual_seed(0)
        model = GPT(p=p)
        # On an accelerator AdamW defaults to its foreach implementation, which
        # rounds differently from the CPU default; the CPU run uses it too.
        foreach = True if device == "cpu" else None
        if move_after_optimizer:      # the optimizer holds the CPU-built Parameters
            opt = torch.optim.AdamW(model.parameters(), lr=1e-2, foreach=foreach)
            model.to(device)
        else:
            model.to(device)
            opt = torch.optim.AdamW(model.parameters(), lr=1e-2, foreach=foreach)
        losses = []
        for _ in range(steps):
            idx = torch.randint(0, 50, (4, 8))  # host-side data, as a loader makes it
            logits = model(idx.to(device))
            loss = F.cross_entropy(logits.view(-1, 50), idx.roll(-1, 1).reshape(-1).to(device))
            opt.zero_grad(); loss.backward(); opt.step()
            losses.append(loss.item())
        return model, losses
"""


def test_module_to_keeps_parameter_identity(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        emb = torch.nn.Embedding(10, 4)
        head = torch.nn.Linear(4, 10, bias=False)
        head.weight = emb.weight
        bn = torch.nn.BatchNorm1d(4)
        m = torch.nn.ModuleDict({"emb": emb, "head": head, "bn": bn})
        w = emb.weight
        for move in (lambda: m.to("mlu"), lambda: m.cpu(), lambda: m.mlu(),
                     lambda: m.to("mlu:1"), lambda: m.to("mlu:0")):
            move()
            assert m["emb"].weight is w and m["head"].weight is w
            assert isinstance(w, torch.nn.Parameter) and w.requires_grad
        # Buffers are re-assigned by module.to() on CUDA too; they follow the module.
        mean = m["bn"].running_mean
        assert w.device == torch.device("mlu:0") and mean.device == torch.device("mlu:0")
        m["head"](m["emb"](torch.tensor([1, 2], device="mlu"))).sum().backward()
        assert w.grad.device.type == "mlu"
        m.cpu()                                    # the gradient moves with its Parameter
        assert m["emb"].weight is w and w.grad.device.type == "cpu"
        m.mlu()
        mean = m["bn"].running_mean
        state = {k: torch.full_like(v, 3, device="cpu") for k, v in m.state_dict().items()}
        m.load_state_dict(state)
        assert m["emb"].weight is w and m["head"].weight is w and w.device.type == "mlu"
        assert m["bn"].running_mean is mean and mean.cpu().eq(3).all()
        assert torch.equal(w.detach().cpu(), torch.full((10, 4), 3.0))
        assert torch._has_compatible_shallow_copy_type(torch.ones(1), torch.ones(1, device="mlu"))
        assert not torch._has_compatible_shallow_copy_type(torch.ones(1).to_sparse(),
                                                           torch.ones(1, device="mlu"))
        print("OK")
    """)
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout


def test_tied_gpt_trains_bitwise_like_cpu_with_optimizer_built_before_move(emulator, tmp_path):
    r = emulator.run(tmp_path, GPT + """
    cpu_model, cpu = train("cpu")
    for before in (True, False):
        model, mlu = train("mlu", move_after_optimizer=before)
        assert model.head.weight is model.wte.weight
        assert mlu == cpu, (before, mlu, cpu)
        assert all(torch.equal(a.detach(), b.detach().cpu())
                   for a, b in zip(cpu_model.parameters(), model.parameters()))
    assert cpu[-1] < cpu[0], cpu       # the optimizer really updated the moved model
    print("OK", cpu)
    """)
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout


def test_random_ops_on_mlu_use_the_device_generator_only(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        import torch.nn.functional as F
        torch.manual_seed(0)
        x = torch.randn(32, 32, device="mlu")
        four = x[None, :, :, None]
        ops = {
            "dropout": lambda: F.dropout(x, 0.5, True),
            "dropout_": lambda: F.dropout(x.clone(), 0.5, True, inplace=True),
            "native_dropout": lambda: torch.ops.aten.native_dropout(x, 0.3, True)[0],
            "alpha_dropout": lambda: F.alpha_dropout(x, 0.5, True),
            "feature_alpha_dropout": lambda: F.feature_alpha_dropout(four, 0.5, True),
            "dropout2d": lambda: F.dropout2d(four, 0.5, True),
            "sdpa_dropout": lambda: F.scaled_dot_product_attention(
                x[None, None], x[None, None], x[None, None], dropout_p=0.5),
            "bernoulli": lambda: torch.bernoulli(torch.full_like(x, 0.5)),
            "bernoulli_": lambda: x.clone().bernoulli_(0.3),
            "rand": lambda: torch.rand(5, device="mlu"),
            "randn": lambda: torch.randn(5, device="mlu"),
            "randint": lambda: torch.randint(0, 9, (5,), device="mlu"),
            "rand_like": lambda: torch.rand_like(x),
            "randn_like": lambda: torch.randn_like(x),
            "randint_like": lambda: torch.randint_like(x, 10),
            "randperm": lambda: torch.randperm(50, device="mlu"),
            "multinomial": lambda: torch.multinomial(torch.rand(4, 10, device="mlu"), 3),
            "normal": lambda: torch.normal(x, 1.0),
            "normal_factory": lambda: torch.normal(0.0, 1.0, (3,), device="mlu"),
            "normal_": lambda: x.clone().normal_(),
            "uniform_": lambda: x.clone().uniform_(),
            "exponential_": lambda: x.clone().exponential_(),
            "random_": lambda: x.clone().random_(0, 10),
            "cauchy_": lambda: x.clone().cauchy_(),
            "geometric_": lambda: x.clone().geometric_(0.3),
            "log_normal_": lambda: x.clone().log_normal_(),
            "poisson": lambda: torch.poisson(x.abs()),
            "binomial": lambda: torch.binomial(torch.full_like(x, 5.0), torch.full_like(x, 0.5)),
            "rrelu": lambda: F.rrelu(x, training=True),
            "gumbel_softmax": lambda: F.gumbel_softmax(x, hard=True),
            "fractional_max_pool2d": lambda: F.fractional_max_pool2d(x[None, None], 2,
                                                                     output_size=(10, 10)),
        }
        moved, unrepeatable = [], []
        for name, op in ops.items():
            cpu_state = torch.get_rng_state()
            torch.mlu.manual_seed(5); a = op()
            torch.mlu.manual_seed(5); b = op()
            mlu_state = torch.mlu.get_rng_state()
            c = op()
            assert a.device.type == "mlu", name
            if not torch.equal(torch.get_rng_state(), cpu_state):
                moved.append(name)
            if not torch.equal(a.cpu(), b.cpu()):
                unrepeatable.append(name)
            # every op draws: the device generator moved
            assert not torch.equal(torch.mlu.get_rng_state(), mlu_state), name
        assert not moved, f"moved the CPU generator: {moved}"
        assert not unrepeatable, f"not reproducible under torch.mlu.manual_seed: {unrepeatable}"
        print("OK")
    """)
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout


def test_device_dropout_does_not_shift_host_side_shuffling(emulator, tmp_path):
    r = emulator.run(tmp_path, GPT + """
    from torch.utils.data import DataLoader, TensorDataset

    def run(p):
        torch.manual_seed(0)                   # seeds the CPU and every MLU generator
        model = GPT(p=p).mlu().train()
        order, outs = [], []
        loader = DataLoader(TensorDataset(torch.arange(16)), batch_size=4, shuffle=True)
        for epoch in range(2):
            for (batch,) in loader:
                order.append(batch.tolist())
                outs.append(model(batch.view(2, 2).mlu()).detach().cpu())
        return order, outs

    order0, _ = run(0.0)
    order1, outs1 = run(0.5)
    order2, outs2 = run(0.5)
    assert order1 == order0, "dropout on the MLU changed the CPU-side shuffling"
    assert order2 == order1 and all(torch.equal(a, b) for a, b in zip(outs1, outs2))
    print("OK")
    """)
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout


def test_ops_with_a_generic_composite_run_the_cpu_kernel(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import warnings, torch, torch_mlu
        import torch.nn.functional as F
        warnings.simplefilter("error")          # no resize warnings either
        torch.manual_seed(0)
        cases = {
            "layer_norm": (lambda x, w, b: F.layer_norm(x, (16,), w, b), [(4, 8, 16), (16,), (16,)]),
            "group_norm": (lambda x, w, b: F.group_norm(x, 2, w, b), [(4, 8, 5, 5), (8,), (8,)]),
            "addr": (torch.addr, [(5, 6), (5,), (6,)]),
            "mse_loss": (F.mse_loss, [(4, 8), (4, 8)]),
            "smooth_l1_loss": (F.smooth_l1_loss, [(4, 8), (4, 8)]),
            "stack": (lambda x, y: torch.stack([x, y]), [(4, 8), (4, 8)]),
        }
        for name, (f, shapes) in cases.items():
            xs = [torch.randn(*s) for s in shapes]
            results = []
            for dev in ("cpu", "mlu"):
                args = [x.to(dev).detach().requires_grad_() for x in xs]
                y = f(*args)
                y.backward(torch.linspace(-1, 1, y.numel()).view_as(y).to(dev))
                results.append([y.detach().cpu()] + [a.grad.cpu() for a in args])
            assert all(torch.equal(a, b) for a, b in zip(*results)), name
        print("OK")
    """)
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout


PINNED_TRAINING = """
    import sys, torch, torch_mlu
    from torch.utils.data import DataLoader, TensorDataset

    if __name__ == "__main__":
        pin = sys.argv[1] == "pin"
        torch.manual_seed(0)
        ds = TensorDataset(torch.randn(32, 3, 32, 32), torch.randn(32, 4, 32, 32))
        net = torch.nn.Sequential(
            torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
            torch.nn.Conv2d(16, 16, 3, padding=1), torch.nn.ReLU(),
            torch.nn.Upsample(scale_factor=2), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(16, 4, 1)).mlu()
        opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        loader = DataLoader(ds, batch_size=8, shuffle=True, num_workers=2, pin_memory=pin)
        for x, y in loader:
            assert x.is_pinned() == pin
            x, y = x.to("mlu", non_blocking=True), y.to("mlu", non_blocking=True)
            loss = torch.nn.functional.mse_loss(net(x), y)
            opt.zero_grad(); loss.backward(); opt.step()
        torch.save([p.detach().cpu() for p in net.parameters()], sys.argv[1] + ".pt")
        print("OK")
"""


def test_pin_memory_with_workers_trains_bitwise_like_without(emulator, tmp_path):
    import torch

    # Two intra-op threads even on a one-core machine, so thread-count drift shows.
    env = {"OMP_NUM_THREADS": "2"}
    for mode in ("pin", "nopin"):
        r = emulator.run(tmp_path, PINNED_TRAINING, mode, env=env, timeout=300)
        assert r.returncode == 0, r.stderr
    pinned, plain = torch.load(tmp_path / "pin.pt"), torch.load(tmp_path / "nopin.pt")
    different = [i for i, (a, b) in enumerate(zip(pinned, plain)) if not torch.equal(a, b)]
    assert not different, f"parameters {different} differ with pin_memory=True"


def test_kernels_in_other_threads_compute_like_the_main_thread(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import threading, torch, torch_mlu
        torch.manual_seed(0)
        w = torch.randn(64, 3, 3, 3, device="mlu", requires_grad=True)
        x = torch.randn(8, 3, 64, 64, device="mlu")

        def step():
            w.grad = None
            torch.nn.functional.conv2d(x, w, padding=1).square().sum().backward()
            return w.grad.cpu()

        expected = step()
        got = []
        def other():
            torch.set_num_threads(1)       # what DataLoader's pin-memory thread does
            got.append(step())
        t = threading.Thread(target=other); t.start(); t.join()
        got.append(step())                 # main thread, autograd thread, again
        assert all(torch.equal(expected, g) for g in got)
        print("OK")
    """, env={"OMP_NUM_THREADS": "2"})
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout


def test_conjugate_and_negative_views_and_fft_match_cpu(emulator, tmp_path):
    # x.conj().resolve_conj() and torch.fft.hfft on MLU used to recurse until SIGSEGV.
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        torch.manual_seed(0)
        x, a = torch.randn(10, dtype=torch.complex64), torch.randn(4, 4, dtype=torch.complex64)
        checks = {
            "resolve_conj": (lambda t: t.conj().resolve_conj(), x),
            "conj_add": (lambda t: t.conj() + 1, x),
            "resolve_neg": (lambda t: torch._neg_view(t).resolve_neg(), x),
            "hfft": (torch.fft.hfft, x),
            "hfft2": (torch.fft.hfft2, a),
            "irfftn": (torch.fft.irfftn, a),
            "conj_matmul": (lambda t: t.conj() @ t, a),
            "adjoint_matmul": (lambda t: t.mH @ t, a),
            "conj_to_cpu": (lambda t: t.conj().cpu(), x),
        }
        for name, (f, c) in checks.items():
            got = f(c.to("mlu")).cpu().resolve_conj().resolve_neg()
            assert torch.equal(f(c).resolve_conj().resolve_neg(), got), name
        y = x.conj().to("mlu")
        assert torch.equal(y.cpu().resolve_conj(), x.conj().resolve_conj())
        print("OK")
    """)
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout
