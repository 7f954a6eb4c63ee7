"""The `cncl` process-group backend, emulated by staging MLU tensors through gloo.

Each collective copies its MLU tensors to host, runs gloo, copies the result
back and returns a completed Work: correct and synchronous, not fast.  Plain
gloo keeps refusing MLU tensors, as on hardware, because cncl (not gloo) is
the backend registered for the "mlu" device.
"""

from __future__ import annotations

import atexit
from datetime import timedelta

import torch
import torch.distributed as dist
from torch._C._distributed_c10d import _create_work_from_future


def _done(result):
    fut = torch.futures.Future()
    fut.set_result(result)
    return _create_work_from_future(fut)


def _host(tensors):
    return [t.detach().to("cpu") for t in tensors]


def _back(dst, src):
    for d, s in zip(dst, src):
        d.copy_(s)


class ProcessGroupCNCL(dist.ProcessGroup):
    """Host-staging CNCL stand-in; one MLU device per process, as on hardware."""

    def __init__(self, rank: int, size: int):
        super().__init__(rank, size)
        self._gloo = None

    def _connect(self, store, timeout: timedelta) -> None:
        self._gloo = dist.ProcessGroupGloo(
            dist.PrefixStore("cncl_emu", store), self.rank(), self.size(), timeout
        )

    def getBackendName(self) -> str:  # noqa: N802 (c10d naming)
        return "cncl"

    def name(self) -> str:
        return "cncl"

    def allreduce(self, tensors, opts=None):
        host = _host(tensors)
        self._gloo.allreduce(host, opts or dist.AllreduceOptions()).wait()
        _back(tensors, host)
        return _done(tensors)

    def allreduce_coalesced(self, tensors, opts=None):
        for t in tensors:
            self.allreduce([t])
        return _done(tensors)

    def broadcast(self, tensors, opts=None):
        host = _host(tensors)
        self._gloo.broadcast(host, opts or dist.BroadcastOptions()).wait()
        _back(tensors, host)
        return _done(tensors)

    def reduce(self, tensors, opts=None):
        host = _host(tensors)
        self._gloo.reduce(host, opts or dist.ReduceOptions()).wait()
        _back(tensors, host)
        return _done(tensors)

    def allgather(self, output_lists, input_list, opts=None):
        host_out = [_host(out) for out in output_lists]
        self._gloo.allgather(host_out, _host(input_list), opts or dist.AllgatherOptions()).wait()
        for dst, src in zip(output_lists, host_out):
            _back(dst, src)
        return _done(output_lists)

    def _allgather_base(self, output, input, opts=None):
        chunks = list(output.chunk(self.size()))
        self.allgather([chunks], [input])
        return _done([output])

    def reduce_scatter(self, output_list, input_lists, opts=None):
        opts = opts or dist.ReduceScatterOptions()
        for out, inputs in zip(output_list, input_lists):
            stacked = torch.stack([t.detach().to("cpu") for t in inputs])
            ar = dist.AllreduceOptions()
            ar.reduceOp = opts.reduceOp
            self._gloo.allreduce([stacked], ar).wait()
            out.copy_(stacked[self.rank()])
        return _done(output_list)

    def _reduce_scatter_base(self, output, input, opts=None):
        return self.reduce_scatter([output], [list(input.chunk(self.size()))], opts)

    def alltoall_base(self, output, input, output_split_sizes, input_split_sizes, opts=None):
        host_out = output.detach().to("cpu")
        self._gloo.alltoall_base(host_out, input.detach().to("cpu"), output_split_sizes,
                                 input_split_sizes, opts or dist.AllToAllOptions()).wait()
        output.copy_(host_out)
        return _done([output])

    def gather(self, output_lists, input_list, opts=None):
        host_out = [_host(out) for out in output_lists]
        self._gloo.gather(host_out, _host(input_list), opts or dist.GatherOptions()).wait()
        for dst, src in zip(output_lists, host_out):
            _back(dst, src)
        return _done(output_lists)

    def scatter(self, output_list, input_lists, opts=None):
        host_out = _host(output_list)
        self._gloo.scatter(host_out, [_host(x) for x in input_lists],
                           opts or dist.ScatterOptions()).wait()
        _back(output_list, host_out)
        return _done(output_list)

    def barrier(self, opts=None):
        self._gloo.barrier(dist.BarrierOptions()).wait()
        return _done([])

    def send(self, tensors, dst, tag=0):
        self._gloo.send(_host(tensors), dst, tag).wait()
        return _done(tensors)

    def recv(self, tensors, src, tag=0):
        host = _host(tensors)
        self._gloo.recv(host, src, tag).wait()
        _back(tensors, host)
        return _done(tensors)


def _create(store, rank, size, timeout):
    pg = ProcessGroupCNCL(rank, size)
    pg._connect(store, timeout)
    return pg


def _destroy_at_exit() -> None:
    """Tear the process groups down while Python is still alive.

    Scripts often end without destroy_process_group(). Left to interpreter finalization, the
    gloo group under a cncl group can be destroyed with its worker threads still joinable, and the
    process aborts ("terminate called without an active exception") after the script succeeded;
    real torch_mlu only warns there. Destroying here is local to the process (no collective).
    """
    try:
        if dist.is_initialized():
            dist.destroy_process_group()
    except Exception:  # a group already torn down by the script's own error handling
        pass


def install() -> None:
    if "cncl" not in dist.Backend.backend_list:
        dist.Backend.register_backend("cncl", _create, devices=["mlu"])
    dist.ProcessGroupCNCL = ProcessGroupCNCL
    dist.is_cncl_available = lambda: True
    atexit.register(_destroy_at_exit)
