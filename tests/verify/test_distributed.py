"""cncl collectives and DDP across spawned ranks; plain gloo refuses MLU tensors."""

import socket


def free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])

DDP_SCRIPT = """
    import os, sys
    import torch, torch_mlu
    import torch.distributed as dist
    import torch.multiprocessing as mp
    from torch.nn.parallel import DistributedDataParallel as DDP

    def worker(rank, world, backend, port):
        os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", port
        torch.mlu.set_device(rank)
        dist.init_process_group(backend, rank=rank, world_size=world)
        t = torch.ones(3, device=f"mlu:{rank}") * (rank + 1)
        dist.all_reduce(t)
        assert t.tolist() == [3.0] * 3 and t.device == torch.device("mlu", rank)
        b = torch.arange(3.0, device="mlu") * (rank + 5)
        dist.broadcast(b, 0)
        assert b.tolist() == [0.0, 5.0, 10.0]
        outs = [torch.empty(2, device="mlu") for _ in range(world)]
        dist.all_gather(outs, torch.full((2,), float(rank), device="mlu"))
        assert [o.tolist() for o in outs] == [[0.0, 0.0], [1.0, 1.0]]
        dist.barrier()
        torch.manual_seed(rank)  # different initial weights: DDP must broadcast rank 0's
        model = DDP(torch.nn.Linear(4, 2).mlu(), device_ids=[rank])
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(2):
            opt.zero_grad()
            model(torch.randn(8, 4, device="mlu")).sum().backward()
            opt.step()
        w = model.module.weight.detach().clone()
        ws = [torch.empty_like(w) for _ in range(world)]
        dist.all_gather(ws, w)
        assert torch.equal(ws[0].cpu(), ws[1].cpu())
        print(f"rank {rank} done", flush=True)
        dist.destroy_process_group()

    if __name__ == "__main__":
        mp.spawn(worker, args=(2, sys.argv[1], sys.argv[2]), nprocs=2)
"""


def test_cncl_collectives_and_ddp(emulator, tmp_path):
    r = emulator.run(tmp_path, DDP_SCRIPT, "cncl", free_port())
    assert r.returncode == 0, r.stderr
    assert "rank 0 done" in r.stdout and "rank 1 done" in r.stdout
    assert r.summary.devices == [0, 1]
    assert r.summary.processes == 3  # the launcher and two ranks all reported


def test_plain_gloo_refuses_mlu_tensors(emulator, tmp_path):
    r = emulator.run(tmp_path, DDP_SCRIPT, "gloo", free_port())
    assert r.returncode != 0
    assert "No backend type associated with device type mlu" in r.stderr, r.stderr


def test_torchrun_children_get_the_emulator(emulator, tmp_path):
    (tmp_path / "rank.py").write_text(
        "import os, torch\n"
        "import torch.distributed as dist\n"
        "dist.init_process_group('cncl')\n"
        "r = dist.get_rank(); torch.mlu.set_device(r)\n"
        "t = torch.ones(1, device='mlu') * r; dist.all_reduce(t)\n"
        "print('rank', r, 'sum', t.item(), flush=True)\n"
    )
    r = emulator.run(tmp_path, f"""
        import subprocess, sys
        sys.exit(subprocess.call([sys.executable, "-m", "torch.distributed.run",
                                  "--nproc_per_node", "2", "--master_port", "{free_port()}",
                                  "rank.py"]))
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("sum") == 2 and r.stdout.count("1.0") == 2
