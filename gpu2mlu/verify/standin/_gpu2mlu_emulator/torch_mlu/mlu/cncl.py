"""torch.mlu.cncl: what survives of torch.cuda.nccl on MLU."""

from __future__ import annotations

__all__ = ["is_cncl_available", "version", "batch_isend_irecv"]


def is_cncl_available() -> bool:
    return True


def version() -> tuple[int, int, int]:
    return (0, 0, 0)  # emulated: no real CNCL library


def batch_isend_irecv(p2p_op_list):
    import torch.distributed as dist

    return dist.batch_isend_irecv(p2p_op_list)
