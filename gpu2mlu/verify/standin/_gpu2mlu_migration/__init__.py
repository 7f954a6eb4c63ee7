"""`gpu2mlu run`: an unconverted CUDA program runs on the MLU, mapped at run time.

sitecustomize installs it right after torch_mlu is imported when GPU2MLU_MODE=run, over the
emulator's stand-in or a real torch_mlu alike; it needs only torch, torch.mlu and _gpu2mlu_run
(never the emulator). The mapping comes from the converter's tables (the JSON file named by
GPU2MLU_RUN_MAP, see gpu2mlu/verify/mapping.py), so `run` and the converter agree on every name. What is mapped, and for whom:

- modules: torch.cuda*, torch.backends.cuda/cudnn reads by code outside torch;
- devices: 'cuda' arguments of the torch callables runtime.toml lists, torch.device(...),
  checkpoints saved on CUDA;
- calls: torch_api.toml call rules and renames (amp, autocast dtype helpers, is_nccl_available);
- methods: Tensor.cuda/is_cuda, Module.cuda;
- distributed: get_backend(); profiler: use_cuda;
- cambricon: torch_mlu.utils.gpu_migration imported too is blocked and reported.
Each mapping decision is logged per call site (_gpu2mlu_run.note, "run-call" events).
"""

from __future__ import annotations

import _gpu2mlu_run

from . import calls, cambricon, checkpoint, devices, dist, methods, modules, profiler, sites, table


def install() -> None:
    if not table.data():
        return  # no mapping table: nothing to map by
    cambricon.install()
    _gpu2mlu_run.map_environment()  # a program may set CUDA_VISIBLE_DEVICES before importing torch
    sites.set_cuda_absent(table.data().get("identity", {}).get("cuda_absent", ()))
    devices.install()
    methods.install()
    calls.install(skip_module=modules.handles)
    dist.install()
    profiler.install()
    checkpoint.install()
    modules.install()
