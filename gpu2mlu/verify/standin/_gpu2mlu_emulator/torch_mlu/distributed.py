"""The `cncl` process-group backend, emulated by staging MLU tensors through gloo.

Each collective copies its MLU tensors to host, runs gloo, copies the result
back and returns a completed Work: correct and synchronous, not fast.  Point-to-
point ops are the exception: isend/irecv return a Work that finishes (and copies
a received tensor back) in wait(), because a synchronous send would deadlock
batch_isend_irecv when two ranks send to each other first.  Plain gloo keeps
refusing MLU tensors, as on hardware, because cncl (not gloo) is the backend
registered for the "mlu" device.

ProcessGroupCNCL is itself the ProcessGroup (no c10d Backend is registered for
the device), so every method torch.distributed calls on the group must be
defined here: a base-class method would look up the c10d backend for device
"mlu" and fail with "No backend type associated with device type mlu".  torch
renamed some of them (_allgather_base -> all_gather_single, _reduce_scatter_base
-> reduce_scatter_single, alltoall_base -> all_to_all_single); both spellings are
defined so every supported torch finds them.
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


class _PendingWork(dist.Work):
    """A gloo work on host copies; wait() completes it, then runs `finish` (the copy back)."""

    def __init__(self, work, result, host, finish=None):
        super().__init__()
        self._work, self._result, self._finish, self._done = work, result, finish, False
        self._host = host  # the staging buffers gloo works on, alive until done

    def wait(self, timeout=None):
        if not self._done:
            if timeout is None:
                self._work.wait()
            else:
                self._work.wait(timeout)
            if self._finish is not None:
                self._finish()
            self._done = True
        return True

    def is_completed(self):
        return self._done

    def _source_rank(self):  # recv from any source: who sent it
        return self._work._source_rank()

    source_rank = _source_rank

    def is_success(self):
        return self._done

    def result(self):
        return list(self._result)

    def get_future(self):
        self.wait()
        fut = torch.futures.Future()
        fut.set_result(list(self._result))
        return fut


def _check_gather_sizes(output, input, size):
    """The output must hold `size` inputs, concatenated ([size*n, ...]) or stacked ([size, ...])."""
    if output.numel() != input.numel() * size:
        raise ValueError(
            f"output tensor of {output.numel()} elements cannot hold {size} inputs of "
            f"{input.numel()} elements"
        )


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

    def allgather_coalesced(self, output_lists, input_list, opts=None):
        for out, inp in zip(output_lists, input_list):
            self.allgather([out], [inp])
        return _done(output_lists)

    def _allgather_base(self, output, input, opts=None):
        _check_gather_sizes(output, input, self.size())
        host_in = input.detach().to("cpu").reshape(-1)
        rows = [torch.empty_like(host_in) for _ in range(self.size())]
        self._gloo.allgather([rows], [host_in], opts or dist.AllgatherOptions()).wait()
        output.copy_(torch.cat(rows).view(output.shape))
        return _done([output])

    all_gather_single = _allgather_base  # torch >= 2.13 spelling

    def allgather_into_tensor_coalesced(self, outputs, inputs, opts=None):
        for out, inp in zip(outputs, inputs):
            self._allgather_base(out, inp, opts)
        return _done(outputs)

    all_gather_single_coalesced = allgather_into_tensor_coalesced

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
        if input.numel() != output.numel() * self.size():
            raise ValueError(
                f"input tensor of {input.numel()} elements does not split into {self.size()} "
                f"outputs of {output.numel()} elements"
            )
        opts = opts or dist.ReduceScatterOptions()
        stacked = input.detach().to("cpu").reshape(self.size(), -1).contiguous()
        ar = dist.AllreduceOptions()
        ar.reduceOp = opts.reduceOp
        self._gloo.allreduce([stacked], ar).wait()
        output.copy_(stacked[self.rank()].view(output.shape))
        return _done([output])

    reduce_scatter_single = _reduce_scatter_base  # torch >= 2.13 spelling

    def reduce_scatter_tensor_coalesced(self, outputs, inputs, opts=None):
        for out, inp in zip(outputs, inputs):
            self._reduce_scatter_base(out, inp, opts)
        return _done(outputs)

    reduce_scatter_single_coalesced = reduce_scatter_tensor_coalesced

    def alltoall_base(self, output, input, output_split_sizes, input_split_sizes, opts=None):
        host_out = output.detach().to("cpu")
        self._gloo.alltoall_base(host_out, input.detach().to("cpu"), output_split_sizes,
                                 input_split_sizes, opts or dist.AllToAllOptions()).wait()
        output.copy_(host_out)
        return _done([output])

    all_to_all_single = alltoall_base  # torch >= 2.13 spelling

    def alltoall(self, output_tensors, input_tensors, opts=None):
        # gloo has no list all_to_all: one all_to_all_single over the flattened tensors.
        send = torch.cat([t.detach().to("cpu").reshape(-1) for t in input_tensors])
        recv = torch.empty(sum(t.numel() for t in output_tensors), dtype=send.dtype)
        self._gloo.alltoall_base(recv, send, [t.numel() for t in output_tensors],
                                 [t.numel() for t in input_tensors],
                                 opts or dist.AllToAllOptions()).wait()
        for dst, src in zip(output_tensors, recv.split([t.numel() for t in output_tensors])):
            dst.copy_(src.view(dst.shape))
        return _done(output_tensors)

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
        # Not waited here: gloo's send does not complete before the peer posts the
        # matching recv, and batch_isend_irecv issues every send before any recv.
        host = _host(tensors)
        return _PendingWork(self._gloo.send(host, dst, tag), tensors, host)

    def recv(self, tensors, src, tag=0):
        host = _host(tensors)
        return _PendingWork(self._gloo.recv(host, src, tag), tensors, host,
                            lambda: _back(tensors, host))

    def recv_anysource(self, tensors, tag=0):
        host = _host(tensors)
        return _PendingWork(self._gloo.recv_anysource(host, tag), tensors, host,
                            lambda: _back(tensors, host))

    # _coalescing_manager brackets grouped p2p ops with these; every op here is
    # either complete or returns its own Work, so there is nothing to group.
    def _start_coalescing(self, device):
        pass

    def _end_coalescing(self, device):
        return _done([])


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
