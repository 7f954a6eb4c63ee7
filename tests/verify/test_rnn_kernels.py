"""nn.LSTM/GRU/RNN and their cells train on the emulated MLU and match CPU.

On a non-CPU device ATen's RNN driver calls the fused cell kernels
_thnn_fused_lstm_cell / _thnn_fused_gru_cell (and their backward), which CPU
PyTorch lacks and the emulator composes.

Tolerances: a single cell (LSTMCell, GRUCell, RNNCell) is bitwise equal to
CPU, outputs and every gradient.  Whole sequence modules are not, for two
reasons that have nothing to do with the cell math: on CPU, ATen computes the
input projection of all time steps as one GEMM and its weight gradient as one
reduction over T*B rows, while on a device (CUDA and MLU alike) it does one GEMM
per step and autograd sums the per-step weight gradients; and CPU nn.LSTM in
float32 runs oneDNN's fused LSTM.  Measured on torch 2.13 (AVX-512), the
largest difference of any output or gradient is 4e-7 of that tensor's largest
magnitude (about 3 float32 ulps); the test allows 2e-6.  A wrong gate or a
missing gradient term is off by 1e-2 or more.
"""

RNN_SCRIPT = """
    import copy, torch, torch_mlu
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    def run(mod, x, dev, packed_lengths=None, seed=0):
        m = copy.deepcopy(mod).to(dev)
        xi = x.detach().clone().to(dev).requires_grad_()
        bf = getattr(m, "batch_first", False)
        inp = xi
        if packed_lengths is not None:
            inp = pack_padded_sequence(xi, packed_lengths, batch_first=bf, enforce_sorted=False)
        torch.manual_seed(seed)  # the same dropout masks on both devices
        out = m(inp)
        flat = []
        for o in (out if isinstance(out, tuple) else (out,)):
            if isinstance(o, torch.nn.utils.rnn.PackedSequence):
                assert o.data.device.type == dev
                o = pad_packed_sequence(o, batch_first=bf)[0]
            flat.extend(o if isinstance(o, tuple) else (o,))
        # A loss that weights every element differently, so every gradient term matters.
        loss = sum((f * torch.linspace(-1, 1, f.numel(), device=dev).view_as(f)).sum()
                   for f in flat)
        loss.backward()
        grads = [xi.grad] + [p.grad for p in m.parameters()]
        assert all(g is not None and g.device.type == dev for g in grads)
        return [t.detach().cpu() for t in flat + grads]

    def rel_err(a, b):
        return ((a - b).abs().max() / b.abs().max().clamp_min(1e-12)).item()

    torch.manual_seed(0)
    x = torch.randn(6, 4, 5)
    cells = [("LSTMCell", torch.nn.LSTMCell, {}), ("LSTMCell-nobias", torch.nn.LSTMCell,
             {"bias": False}), ("GRUCell", torch.nn.GRUCell, {}),
             ("GRUCell-nobias", torch.nn.GRUCell, {"bias": False}),
             ("RNNCell", torch.nn.RNNCell, {})]
    for name, cls, kw in cells:
        for hidden in (7, 33):
            torch.manual_seed(1)
            cell = cls(5, hidden, **kw)
            cpu, mlu = run(cell, x[0], "cpu"), run(cell, x[0], "mlu")
            assert len(cpu) == len(mlu)
            for i, (a, b) in enumerate(zip(cpu, mlu)):
                assert torch.equal(a, b), (name, hidden, i, rel_err(b, a))
            print("bitwise", name, hidden)

    worst = 0.0
    modules = []
    for name, cls in (("LSTM", torch.nn.LSTM), ("GRU", torch.nn.GRU), ("RNN", torch.nn.RNN)):
        for kw in ({}, {"num_layers": 2, "bidirectional": True},
                   {"num_layers": 2, "batch_first": True}, {"num_layers": 3, "dropout": 0.5}):
            modules.append((name, cls, kw, None))
        modules.append((name, cls, {"num_layers": 2, "bidirectional": True}, [6, 2, 4, 5]))
    modules.append(("RNN", torch.nn.RNN, {"nonlinearity": "relu", "num_layers": 2}, None))
    modules.append(("LSTM", torch.nn.LSTM, {"proj_size": 4, "num_layers": 2}, None))
    for name, cls, kw, lengths in modules:
        torch.manual_seed(2)
        mod = cls(5, 12, **kw)
        xin = x.transpose(0, 1) if kw.get("batch_first") else x
        cpu, mlu = run(mod, xin, "cpu", lengths), run(mod, xin, "mlu", lengths)
        assert len(cpu) == len(mlu) == 1 + len(list(mod.parameters())) + (3 if name == "LSTM" else 2)
        for i, (a, b) in enumerate(zip(cpu, mlu)):
            assert a.shape == b.shape and a.abs().max() > 0, (name, kw, i)
            err = rel_err(b, a)
            worst = max(worst, err)
            assert err <= 2e-6, (name, kw, lengths, i, err)
        print("close", name, kw, lengths)
    print("worst relative error", worst)

    # Double backward goes through ATen's differentiable cell backward.
    for cls in (torch.nn.LSTMCell, torch.nn.GRUCell):
        torch.manual_seed(4)
        cell, res = cls(5, 6), []
        for dev in ("cpu", "mlu"):
            c = copy.deepcopy(cell).to(dev)
            xi = x[0].to(dev).requires_grad_()
            out = c(xi)
            g, = torch.autograd.grad((out[0] if cls is torch.nn.LSTMCell else out).pow(2).sum(),
                                     xi, create_graph=True)
            gg, = torch.autograd.grad(g.sum(), c.weight_hh)
            res.append([g.detach().cpu(), gg.cpu()])
        assert all(rel_err(b, a) <= 2e-6 for a, b in zip(*res)), cls
    with torch.autocast("mlu", dtype=torch.float16):
        lstm = torch.nn.LSTM(5, 6).mlu()
        assert lstm(x.mlu())[0].dtype == torch.float16

    # Training steps on the MLU: the loss goes down and stays finite.
    torch.manual_seed(3)
    model = torch.nn.LSTM(5, 16, num_layers=2, dropout=0.2).mlu()
    head = torch.nn.Linear(16, 1).mlu()
    opt = torch.optim.Adam([*model.parameters(), *head.parameters()], lr=0.01)
    xs, target = torch.randn(8, 4, 5, device="mlu"), torch.randn(8, 4, 1, device="mlu")
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(head(model(xs)[0]), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0], losses
    print("OK")
"""


def test_rnn_modules_and_cells_match_cpu(emulator, tmp_path):
    r = emulator.run(tmp_path, RNN_SCRIPT, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("bitwise") == 10 and r.stdout.count("close") == 17, r.stdout
    assert "OK" in r.stdout


def test_rnn_cell_kernels_check_their_arguments(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        ig = torch.zeros(2, 8, device="mlu")
        for args, expect in (
            ((ig, torch.zeros(2, 8, device="mlu"), torch.zeros(2, 3, device="mlu")),
             "do not match the state"),
            ((ig, torch.zeros(2, 8, device="mlu:1"), torch.zeros(2, 2, device="mlu")),
             "same device"),
        ):
            try:
                torch.ops.aten._thnn_fused_lstm_cell(*args)
            except RuntimeError as e:
                assert expect in str(e), e
                print("raised:", expect)
        h, c, ws = torch.ops.aten._thnn_fused_lstm_cell(ig, ig, torch.ones(2, 2, device="mlu"))
        # all-zero gates: i = f = o = 0.5, g = 0  ->  c = 0.5, h = 0.5 * tanh(0.5)
        assert c.device.type == "mlu" and c.tolist() == [[0.5, 0.5]] * 2
        assert torch.allclose(h.cpu(), torch.full((2, 2), 0.5 * torch.tanh(torch.tensor(0.5))))
        assert ws.shape == (2, 8)
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("raised:") == 2, r.stdout
