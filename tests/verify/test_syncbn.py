"""SyncBatchNorm's statistics kernels on the emulated MLU, alone and under DDP over cncl.

The reference is the mathematically equivalent CPU BatchNorm over the whole
batch.  The emulator merges per-replica (mean, invstd, count) as the device
kernels do, so the statistics are summed in a different order than CPU
BatchNorm's single pass: measured differences are at most 4.2e-7 of a tensor's
largest magnitude (op level and after three DDP training steps); the tests
allow 2e-6.  Statistics taken per replica instead of over the union would be
off by 1e-1 here, since the replicas' batches are shifted apart on purpose.
"""

import socket


def free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])

OPS_SCRIPT = """
    import torch, torch_mlu
    import torch.nn.functional as F

    def rel_err(a, b):
        a, b = a.detach().cpu().float(), b.detach().cpu().float()
        return ((a - b).abs().max() / b.abs().max().clamp_min(1e-12)).item()

    torch.manual_seed(0)
    C, eps, momentum = 4, 1e-5, 0.1
    for memory_format in (torch.contiguous_format, torch.channels_last):
        # Three replicas with unequal batches (one empty) and different means.
        parts = [torch.randn(5, C, 3, 3) + 4, torch.randn(3, C, 3, 3) * 2 - 1,
                 torch.randn(0, C, 3, 3)]
        parts = [p.contiguous(memory_format=memory_format) for p in parts]
        full = torch.cat(parts).contiguous(memory_format=memory_format).requires_grad_()
        weight, bias = torch.randn(C, requires_grad=True), torch.randn(C, requires_grad=True)
        rm, rv = torch.randn(C), torch.rand(C) + 0.5
        ref_rm, ref_rv = rm.clone(), rv.clone()
        ref = F.batch_norm(full, ref_rm, ref_rv, weight, bias, True, momentum, eps)
        dy = torch.randn_like(ref)
        ref.backward(dy)

        mean_l, invstd_l, counts = [], [], []
        for p in parts:
            if p.numel():
                m, s = torch.batch_norm_stats(p.mlu(), eps)
                assert m.device.type == "mlu" and m.shape == (C,)
            else:  # what SyncBatchNorm sends for an empty replica
                m, s = torch.zeros(C, device="mlu"), torch.zeros(C, device="mlu")
            mean_l.append(m); invstd_l.append(s); counts.append(float(p.shape[0] * 9))
        rm_m, rv_m = rm.mlu(), rv.mlu()
        x = full.detach().mlu()
        mean, invstd = torch.batch_norm_gather_stats_with_counts(
            x, torch.stack(mean_l), torch.stack(invstd_l), rm_m, rv_m, momentum, eps,
            torch.tensor(counts, device="mlu"))
        var = full.detach().var(dim=(0, 2, 3), unbiased=False)
        assert rel_err(mean, full.detach().mean(dim=(0, 2, 3))) <= 2e-6
        assert rel_err(invstd, (var + eps).rsqrt()) <= 2e-6
        assert rel_err(rm_m, ref_rm) <= 2e-6 and rel_err(rv_m, ref_rv) <= 2e-6

        w_m, b_m = weight.detach().mlu(), bias.detach().mlu()
        y = torch.batch_norm_elemt(x, w_m, b_m, mean, invstd, eps)
        assert y.device.type == "mlu" and y.is_contiguous(memory_format=memory_format)
        assert rel_err(y, ref) <= 2e-6

        dy_m = dy.mlu()
        sum_dy, sum_dy_xmu, gw, gb = torch.batch_norm_backward_reduce(
            dy_m, x, mean, invstd, w_m, True, True, True)
        assert rel_err(gw, weight.grad) <= 2e-6 and rel_err(gb, bias.grad) <= 2e-6
        gx = torch.batch_norm_backward_elemt(
            dy_m, x, mean, invstd, w_m, sum_dy, sum_dy_xmu,
            torch.tensor([int(c) for c in counts], dtype=torch.int32, device="mlu"))
        assert gx.device.type == "mlu" and rel_err(gx, full.grad) <= 2e-6
        none = torch.batch_norm_backward_reduce(dy_m, x, mean, invstd, w_m, False, True, False)
        assert none[0] is None and none[1] is None and none[3] is None
        assert torch.equal(none[2].cpu(), gw.cpu())

        # The same with an int count for every replica (batch_norm_gather_stats).
        m2, s2 = torch.batch_norm_gather_stats(
            x, torch.stack(mean_l[:1] * 2), torch.stack(invstd_l[:1] * 2), None, None,
            momentum, eps, 45)
        assert rel_err(m2, mean_l[0]) <= 2e-6 and rel_err(s2, invstd_l[0]) <= 2e-6
        print("ops match", memory_format)

    # half precision: statistics in float, output in half
    xh = (torch.randn(6, C, 2, 2) * 3).half()
    m, s = torch.batch_norm_stats(xh.mlu(), eps)
    assert m.dtype == torch.float32
    yh = torch.batch_norm_elemt(xh.mlu(), None, None, m, s, eps)
    assert yh.dtype == torch.half
    ref_h = F.batch_norm(xh.float(), None, None, training=True, eps=eps)
    assert (yh.cpu().float() - ref_h).abs().max() <= 4e-3  # half's resolution near 2
    print("OK")
"""


def test_syncbn_statistics_ops_match_batchnorm(emulator, tmp_path):
    r = emulator.run(tmp_path, OPS_SCRIPT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("ops match") == 2 and "OK" in r.stdout, r.stdout


DDP_SCRIPT = """
    import os, sys
    import torch, torch_mlu
    import torch.distributed as dist
    import torch.multiprocessing as mp
    from torch.nn.parallel import DistributedDataParallel as DDP

    def make():
        torch.manual_seed(0)
        return torch.nn.Sequential(
            torch.nn.Conv2d(3, 6, 3, padding=1), torch.nn.BatchNorm2d(6), torch.nn.ReLU(),
            torch.nn.Conv2d(6, 4, 1), torch.nn.BatchNorm2d(4), torch.nn.Flatten(),
            torch.nn.Linear(4 * 5 * 5, 3))

    def batches():
        g = torch.Generator().manual_seed(1)
        out = []
        for _ in range(3):
            x = torch.randn(8, 3, 5, 5, generator=g) * 3
            x[4:] += 5  # rank 1's half: per-replica statistics would be far off
            out.append((x, torch.randint(0, 3, (8,), generator=g)))
        return out

    def train(model, dev, rank=None, world=1):
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        losses = []
        for x, y in batches():
            if rank is not None:
                x, y = x.chunk(world)[rank], y.chunk(world)[rank]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x.to(dev)), y.to(dev))
            loss.backward()
            opt.step()
            losses.append(loss.detach())
        return torch.stack(losses)

    def worker(rank, world, port):
        os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", port
        torch.mlu.set_device(rank)
        dist.init_process_group("cncl", rank=rank, world_size=world)
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(make()).mlu()
        losses = train(DDP(model, device_ids=[rank]), "mlu", rank, world)
        dist.all_reduce(losses)  # equal halves: the mean of the halves' losses is the full loss
        if rank == 0:
            state = {k: v.cpu() for k, v in model.state_dict().items()}
            torch.save(((losses / world).cpu(), state), "ddp_result.pt")
        dist.destroy_process_group()

    if __name__ == "__main__":
        mp.spawn(worker, args=(2, sys.argv[1]), nprocs=2)
        losses, state = torch.load("ddp_result.pt")
        ref = make()
        ref_losses = train(ref, "cpu")
        worst = 0.0
        for got, want in [(losses, ref_losses)] + [(state[k], v) for k, v in
                                                   ref.state_dict().items()]:
            if not want.dtype.is_floating_point:
                assert torch.equal(got, want)  # num_batches_tracked
                continue
            err = ((got - want).abs().max() / want.abs().max()).item()
            worst = max(worst, err)
            assert err <= 2e-6, (err, got, want)
        assert not torch.equal(state["1.weight"], torch.ones(6))  # BatchNorm weights trained
        print("worst relative error", worst)
        print("OK")
"""


def test_syncbatchnorm_under_ddp_matches_full_batch_batchnorm(emulator, tmp_path):
    r = emulator.run(tmp_path, DDP_SCRIPT, free_port(), timeout=300)
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout, r.stdout
