"""The emulated device behaves like an MLU backend: tensors, modules, memory, RNG, I/O."""


def test_tensors_and_modules_live_on_mlu(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        x = torch.randn(3, 4).mlu()
        assert x.device.type == "mlu" and x.is_mlu and str(x.device) == "mlu:0"
        assert torch.zeros(3, device="mlu").device == torch.device("mlu:0")
        assert x.to("mlu:1").device == torch.device("mlu:1")
        assert torch.tensor([1, 2], device="mlu").tolist() == [1, 2]
        m = torch.nn.Linear(4, 2).mlu()
        assert all(p.device.type == "mlu" for p in m.parameters())
        assert isinstance(m.weight, torch.nn.Parameter)
        torch.mlu.set_device(1)
        assert torch.empty(2, device="mlu").device == torch.device("mlu:1")
        assert torch.randn(2).to("mlu").device == torch.device("mlu:1")
        print("OK")
    """)
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout
    assert r.summary.devices == [0, 1]


def test_cnn_forward_backward_matches_cpu_exactly(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8),
                                  torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                                  torch.nn.Flatten(), torch.nn.Linear(8, 5))
        x, y = torch.randn(4, 3, 8, 8), torch.randint(0, 5, (4,))
        loss = torch.nn.functional.cross_entropy(net(x), y); loss.backward()
        grads = [p.grad.clone() for p in net.parameters()]
        net.zero_grad(); net.mlu()
        loss_m = torch.nn.functional.cross_entropy(net(x.mlu()), y.mlu()); loss_m.backward()
        assert loss_m.device.type == "mlu" and loss_m.item() == loss.item()
        assert all(torch.equal(g, p.grad.cpu()) for g, p in zip(grads, net.parameters()))
        print("OK")
    """)
    assert r.returncode == 0, r.stderr


def test_views_inplace_and_out_resize_alias_correctly(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        x = torch.arange(12., device="mlu")
        v = x.view(3, 4); v[:, 1].add_(100)
        assert x.cpu()[1] == 101 and x.cpu()[5] == 105
        u = x.unfold(0, 4, 4)            # a view op that runs through the fallback
        u.mul_(0); assert x.cpu().sum() == 0
        out = torch.empty(0, device="mlu")
        torch.add(torch.ones(2, 3, device="mlu"), 1, out=out)
        assert out.shape == (2, 3) and out.device.type == "mlu" and out.cpu().sum() == 12
        z = torch.view_as_complex(torch.ones(2, 2, device="mlu"))
        assert z.device.type == "mlu"
        print(torch.nonzero(torch.tensor([0, 1, 1], device="mlu")).device)
    """)
    assert r.returncode == 0, r.stderr
    assert "mlu:0" in r.stdout


def test_mixed_devices_raise_like_hardware(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        a = torch.ones(3, device="mlu")
        for other in (torch.ones(3), torch.ones(3, device="mlu:1")):
            try:
                a + other
            except RuntimeError as e:
                assert "Expected all tensors to be on the same device" in str(e), e
                print("raised:", e)
            else:
                raise SystemExit("no error")
        try:
            torch.nn.Linear(3, 1).mlu()(torch.ones(2, 3))
        except RuntimeError as e:
            assert "same device" in str(e)
        else:
            raise SystemExit("no error for CPU input to an MLU layer")
        assert (a + torch.tensor(2.0)).device.type == "mlu"      # CPU scalars are fine
        assert a[torch.tensor([0, 2])].tolist() == [1.0, 1.0]   # CPU indices are fine
    """)
    assert r.returncode == 0, r.stderr
    assert "mlu:0 and cpu" in r.stdout and "mlu:0 and mlu:1" in r.stdout


def test_per_device_rng(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        torch.mlu.manual_seed(7); a = torch.randn(5, device="mlu")
        torch.mlu.manual_seed(7); b = torch.randn(5, device="mlu")
        assert torch.equal(a.cpu(), b.cpu())
        torch.manual_seed(7); c = torch.rand(5, device="mlu:1")
        torch.manual_seed(7); d = torch.rand(5, device="mlu:1")
        assert torch.equal(c.cpu(), d.cpu())
        state = torch.mlu.get_rng_state(); e = torch.rand(3, device="mlu")
        torch.mlu.set_rng_state(state); f = torch.rand(3, device="mlu")
        assert torch.equal(e.cpu(), f.cpu())
        torch.mlu.manual_seed(1); g = torch.nn.functional.dropout(torch.ones(100, device="mlu"), 0.5)
        assert g.device.type == "mlu"
        print("OK")
    """)
    assert r.returncode == 0, r.stderr


def test_save_and_load_with_map_location(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        t = torch.arange(4., device="mlu:1")
        torch.save({"t": t, "m": torch.nn.Linear(2, 2).mlu().state_dict()}, "ck.pt")
        assert torch.load("ck.pt")["t"].device == torch.device("mlu:1")
        assert torch.load("ck.pt", map_location="mlu:0")["t"].device == torch.device("mlu:0")
        assert torch.load("ck.pt", map_location="cpu")["t"].device.type == "cpu"
        assert torch.load("ck.pt", map_location="cpu")["t"].tolist() == [0, 1, 2, 3]
        print("OK")
    """)
    assert r.returncode == 0, r.stderr


def test_pinned_memory_and_dataloader_workers(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        from torch.utils.data import DataLoader, TensorDataset
        p = torch.randn(8).pin_memory()
        assert p.is_pinned()
        assert p.to("mlu", non_blocking=True).device.type == "mlu"
        ds = TensorDataset(torch.arange(16.).view(8, 2))
        if __name__ == "__main__":
            for (batch,) in DataLoader(ds, batch_size=4, num_workers=2, pin_memory=True):
                assert batch.is_pinned()
                assert batch.mlu().sum().item() >= 0
            print("OK")
    """)
    assert r.returncode == 0, r.stderr
    assert r.summary.processes >= 1


def test_autocast_and_grad_scaler(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        m = torch.nn.Linear(4, 3).mlu(); x = torch.randn(2, 4, device="mlu")
        with torch.autocast("mlu", dtype=torch.float16):
            out = m(x)
            loss = torch.nn.functional.mse_loss(out.float(), torch.zeros(2, 3, device="mlu"))
        assert out.dtype == torch.float16, out.dtype
        opt = torch.optim.SGD(m.parameters(), lr=0.1)
        for scaler in (torch.amp.GradScaler("mlu"), torch.mlu.amp.GradScaler()):
            scaler.scale(loss).backward(retain_graph=True); scaler.step(opt); scaler.update()
        with torch.mlu.amp.autocast(dtype=torch.bfloat16):
            assert m(x).dtype == torch.bfloat16
        print("OK")
    """)
    assert r.returncode == 0, r.stderr


def test_torch_mlu_module_surface(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        assert torch.mlu.is_available() and torch.mlu.device_count() == 2
        before = torch.mlu.memory_allocated()
        x = torch.empty(1024, 1024, device="mlu")
        assert torch.mlu.memory_allocated() - before == 4 * 1024 * 1024
        assert torch.mlu.max_memory_allocated() >= 4 * 1024 * 1024
        torch.mlu.reset_peak_memory_stats(); torch.mlu.empty_cache(); torch.mlu.synchronize()
        s, e = torch.mlu.Event(enable_timing=True), torch.mlu.Event(enable_timing=True)
        s.record(); x.mul_(2); e.record(); e.synchronize()
        assert s.elapsed_time(e) >= 0
        with torch.mlu.stream(torch.mlu.Stream()):
            x.add_(1)
        with torch.mlu.device(1):
            assert torch.mlu.current_device() == 1
        assert torch.mlu.current_device() == 0
        assert torch.mlu.get_device_properties(0).total_memory > 0
        torch.backends.mlu.matmul.allow_tf32 = True
        torch.backends.cnnl.allow_tf32 = True
        torch.backends.mlufusion.enabled = False
        assert torch.profiler.ProfilerActivity.MLU is not None
        from torch_mlu.utils.cpp_extension import BuildExtension, MLUExtension, load, load_inline
        import torch.distributed as dist
        assert dist.is_cncl_available() and dist.Backend.CNCL == "cncl"
        print("OK")
    """)
    assert r.returncode == 0, r.stderr
    assert r.summary.apis["torch.mlu.synchronize"] == 1
    assert r.summary.peak_bytes[0] >= 4 * 1024 * 1024


def test_block_cache_reuses_device_memory_and_keeps_the_counts(emulator, tmp_path):
    # Freed device memory (MLU allocations and what CPU kernels allocate for a
    # device op) is kept for reuse; the statistics still count only what
    # tensors hold, and host CPU tensors keep PyTorch's own allocator.
    r = emulator.run(tmp_path, """
        import resource, torch, torch_mlu
        base = torch.mlu.memory_allocated()
        x = torch.randn(256, 1024, device="mlu")
        for _ in range(3):
            y = (x * 2).relu_(); del y
        ptrs = set()
        for _ in range(4):
            z = x * 3; ptrs.add(z.data_ptr()); del z
        assert len(ptrs) == 1, ptrs  # the same block each time
        assert torch.mlu.memory_allocated() - base == 256 * 1024 * 4
        # Backward runs on the device's autograd thread, whose malloc arena gave
        # freed memory back to the system: 1,000 page faults a step before.
        net = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(),
                                  torch.nn.Conv2d(16, 16, 3, padding=1)).to("mlu")
        batch = torch.randn(16, 3, 32, 32, device="mlu")
        def step():
            net(batch).sum().backward()
        step(); step()
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(10):
            step()
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        assert faults < 500, faults
        del net, batch
        c = torch.ones(1000) * 2  # a host tensor, host allocator
        from torch.profiler import profile, ProfilerActivity
        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            r = x.relu()
        assert any(e.key == "aten::relu" and e.cpu_memory_usage == 256 * 1024 * 4
                   for e in prof.key_averages()), prof.key_averages()
        del r
        assert c.sum().item() == 2000
        del x
        torch.mlu.empty_cache()
        assert torch.mlu.memory_allocated() == base
        print("OK")
    """)
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout


def test_device_count_option_and_visible_devices(emulator, tmp_path):
    code = "import torch, torch_mlu; print('count', torch.mlu.device_count())"
    assert "count 3" in emulator.run(tmp_path, code, devices=3).stdout
    r = emulator.run(tmp_path, code, devices=4, env={"MLU_VISIBLE_DEVICES": "0,1"})
    assert "count 2" in r.stdout, r.stderr


def test_torch_compile_works_or_fails_clearly(emulator, tmp_path):
    r = emulator.run(tmp_path, """
        import torch, torch_mlu
        f = torch.compile(lambda x: torch.relu(x) * 2)
        print("value", f(torch.tensor([-1.0, 2.0], device="mlu")).tolist())
    """, timeout=300)
    if r.returncode == 0:
        assert "value [0.0, 4.0]" in r.stdout
    else:
        assert "torch.compile" in r.stderr and "gpu2mlu verify" in r.stderr, r.stderr
