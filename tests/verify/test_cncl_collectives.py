"""Every torch.distributed collective over the emulated cncl backend, on 2 ranks.

The tensor collectives that take one flat tensor (all_gather_into_tensor,
reduce_scatter_tensor, all_to_all_single) used to fail with "No backend type
associated with device type mlu": torch >= 2.13 calls them on the process group
under new names (all_gather_single, ...) that the stand-in did not define, so
the base ProcessGroup looked for a c10d backend registered for "mlu".
"""

import socket

SCRIPT = """
    import os, sys, warnings
    import torch, torch_mlu
    import torch.distributed as dist
    import torch.multiprocessing as mp

    warnings.simplefilter("ignore", FutureWarning)  # the *_into_tensor/_tensor names are deprecated

    def say(line):  # one write per line: the two ranks share stdout
        sys.stdout.write(line + "\\n")
        sys.stdout.flush()

    def check(name, got, want):
        assert got.device == torch.device("mlu", torch.mlu.current_device()), (name, got.device)
        assert got.tolist() == want, (name, dist.get_rank(), got.tolist(), want)
        say(f"{name} ok {dist.get_rank()}")

    def worker(rank, world, port):
        os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", port
        torch.mlu.set_device(rank)
        dist.init_process_group("cncl", rank=rank, world_size=world)
        dev = f"mlu:{rank}"

        gather_fns = [dist.all_gather_into_tensor]
        scatter_fns = [dist.reduce_scatter_tensor]
        if hasattr(dist, "all_gather_single"):  # torch >= 2.13 names
            gather_fns.append(dist.all_gather_single)
            scatter_fns.append(dist.reduce_scatter_single)
        for fn in gather_fns:
            x = torch.arange(2.0, device=dev) + rank
            out = torch.empty(4, device=dev)
            fn(out, x)
            check("all_gather_into_tensor", out, [0.0, 1.0, 1.0, 2.0])
            stacked = torch.empty(2, 2, dtype=torch.int64, device=dev)
            fn(stacked, torch.tensor([rank, 5 * rank], device=dev))
            check("all_gather_into_tensor stacked", stacked, [[0, 0], [1, 5]])
        for fn in scatter_fns:
            out = torch.empty(2, device=dev)
            fn(out, torch.arange(4.0, device=dev) * (rank + 1))
            check("reduce_scatter_tensor", out, [[0.0, 3.0], [6.0, 9.0]][rank])
            fn(out, torch.arange(4.0, device=dev) * (rank + 1), op=dist.ReduceOp.MAX)
            check("reduce_scatter_tensor max", out, [[0.0, 2.0], [4.0, 6.0]][rank])

        out = torch.empty(4, device=dev)
        dist.all_to_all_single(out, torch.arange(4.0, device=dev) + 10 * rank)
        check("all_to_all_single", out, [[0.0, 1.0, 10.0, 11.0], [2.0, 3.0, 12.0, 13.0]][rank])
        send = [torch.arange(3.0), torch.arange(10.0, 14.0)][rank].to(dev)
        out = torch.empty([4, 3][rank], device=dev)
        dist.all_to_all_single(out, send, output_split_sizes=[[1, 3], [2, 1]][rank],
                               input_split_sizes=[[1, 2], [3, 1]][rank])
        check("all_to_all_single uneven", out, [[0.0, 10.0, 11.0, 12.0], [1.0, 2.0, 13.0]][rank])
        outs = [torch.empty(rank + 1, device=dev) for _ in range(world)]
        dist.all_to_all(outs, [torch.full((j + 1,), 10.0 * rank + j, device=dev)
                               for j in range(world)])
        check("all_to_all", torch.cat(outs), [[0.0, 10.0], [1.0, 1.0, 11.0, 11.0]][rank])

        # Both ranks send first: a synchronous send would deadlock here.
        peer = 1 - rank
        a, b = torch.full((3,), 100.0 + rank, device=dev), torch.arange(2.0, device=dev) * rank
        ra, rb = torch.empty(3, device=dev), torch.empty(2, device=dev)
        works = dist.batch_isend_irecv([dist.P2POp(dist.isend, a, peer), dist.P2POp(dist.isend, b, peer),
                                        dist.P2POp(dist.irecv, ra, peer), dist.P2POp(dist.irecv, rb, peer)])
        for w in works:
            w.wait()
        check("batch_isend_irecv", torch.cat([ra, rb]), [100.0 + peer] * 3 + [0.0, float(peer)])
        if rank == 0:
            dist.send(torch.tensor([7, 8], device=dev), 1)
            req = dist.irecv(r := torch.empty(1, dtype=torch.int64, device=dev), 1)
            req.wait()
            check("send/irecv", r, [9])
        else:
            r = torch.empty(2, dtype=torch.int64, device=dev)
            assert dist.recv(r) == 0  # from any source
            check("send/irecv", r, [7, 8])
            dist.isend(torch.tensor([9], device=dev), 0).wait()

        t = torch.tensor([float(rank + 1)], device=dev)
        dist.reduce(t, dst=0)
        if rank == 0:
            check("reduce", t, [3.0])
        g = [torch.empty(1, device=dev) for _ in range(world)] if rank == 0 else None
        dist.gather(torch.tensor([rank * 2.0], device=dev), g, dst=0)
        if rank == 0:
            check("gather", torch.cat(g), [0.0, 2.0])
        s = torch.empty(2, device=dev)
        dist.scatter(s, [torch.full((2,), float(i), device=dev) for i in range(world)]
                     if rank == 0 else None, src=0)
        check("scatter", s, [float(rank)] * 2)

        objs = [None] * world
        dist.all_gather_object(objs, {"rank": rank, "name": f"r{rank}"})
        assert objs == [{"rank": 0, "name": "r0"}, {"rank": 1, "name": "r1"}], objs
        lst = [("config", 3), [1, 2]] if rank == 0 else [None, None]
        dist.broadcast_object_list(lst, src=0)
        assert lst == [("config", 3), [1, 2]], lst
        got = [None] * world if rank == 0 else None
        dist.gather_object({"loss": rank / 2}, got, dst=0)
        assert rank != 0 or got == [{"loss": 0.0}, {"loss": 0.5}], got
        mine = [None]
        dist.scatter_object_list(mine, ["to0", {"to": 1}] if rank == 0 else None, src=0)
        assert mine == [["to0", {"to": 1}][rank]], mine
        say(f"objects ok {rank}")
        dist.destroy_process_group()

    if __name__ == "__main__":
        mp.spawn(worker, args=(2, sys.argv[1]), nprocs=2)
"""


def free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def test_every_collective_over_cncl(emulator, tmp_path):
    r = emulator.run(tmp_path, SCRIPT, free_port(), timeout=300)
    assert r.returncode == 0, r.stderr
    for name in ("all_gather_into_tensor", "reduce_scatter_tensor max", "all_to_all_single uneven",
                 "all_to_all", "batch_isend_irecv", "send/irecv", "reduce", "gather", "scatter",
                 "objects"):
        for rank in (0, 1) if name not in ("reduce", "gather") else (0,):
            assert f"{name} ok {rank}" in r.stdout, (name, rank, r.stdout)
