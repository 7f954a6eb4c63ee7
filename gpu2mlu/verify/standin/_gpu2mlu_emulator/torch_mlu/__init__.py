"""Stand-in for Cambricon's torch_mlu, used only inside `gpu2mlu verify` and `gpu2mlu run`.

It is never installed: the runner puts its directory (standin/_gpu2mlu_emulator) on PYTHONPATH
of the command, before the common stand-in folder, only where no real torch_mlu exists.
Importing it registers an emulated "mlu" device (a C++ PrivateUse1 backend on host memory), the
torch.mlu module, torch.backends.mlu/cnnl/mlufusion, the cncl process-group backend, and, in
verify mode, the CUDA tripwires.
"""

from __future__ import annotations

import atexit
import os
import sys
import time
import warnings

from . import _lib

_lib.refuse_if_real_torch_mlu()

import torch  # noqa: E402

from . import _events, _surface  # noqa: E402

MIN_TORCH = (2, 6)
TESTED_TORCH = ((2, 13),)
__version__ = "0.0.0+gpu2mlu.emulator"


def _check_torch() -> None:
    major, minor = (int(x) for x in torch.__version__.split("+")[0].split(".")[:2])
    if (major, minor) < MIN_TORCH:
        raise _lib.EmulatorError(
            f"gpu2mlu verify needs torch >= {'.'.join(map(str, MIN_TORCH))}; "
            f"found {torch.__version__}"
        )
    if (major, minor) not in TESTED_TORCH:
        warnings.warn(f"gpu2mlu verify was not tested with torch {torch.__version__}", stacklevel=3)


def _register() -> None:
    _check_torch()
    _lib.load()
    torch.utils.rename_privateuse1_backend("mlu")
    from . import mlu as device_module

    torch._register_device_module("mlu", device_module)
    for sub in ("amp", "memory", "random", "streams", "cnpx", "cncl", "profiler"):
        sys.modules[f"torch.mlu.{sub}"] = getattr(device_module, sub)
    torch.utils.generate_methods_for_privateuse1_backend(
        for_tensor=True, for_module=True, for_packed_sequence=True, for_storage=True
    )
    torch.version.mlu = None

    from . import _saves, backends, distributed, profiler

    _surface.load()
    _surface.gate(device_module, "torch.mlu")
    for sub in ("amp", "memory", "random", "streams", "cnpx", "cncl", "profiler"):
        _surface.gate(getattr(device_module, sub), f"torch.mlu.{sub}")
    for mod in backends.install():
        _surface.gate(mod, mod.__name__)
    if torch.distributed.is_available():
        distributed.install()
    profiler.install()
    _saves.install()  # torch.save paths, for `verify --compare` (both modes)
    from . import _compile

    _compile.install()

    # verify only: under `gpu2mlu run`, sitecustomize installs _gpu2mlu_migration after this
    # import, as it does over a real torch_mlu
    if os.environ.get("GPU2MLU_MODE") != "run":
        from . import _guards

        _guards.install()
    from . import _coverage, _failures

    _failures.install()
    _coverage.install()
    atexit.register(_report)


def _drain_autograd(device: int) -> None:
    """Let the device's autograd thread finish starting up and cleaning up.

    Both need the GIL; a thread that asks for it while the interpreter
    finalizes is torn down mid-C++ and aborts the whole process.
    A tiny backward pass queued behind it waits for it, while Python is alive;
    its own tensors are kept referenced so its cleanup needs no Python at all.
    """
    try:
        leaf = torch.ones(1, device=f"mlu:{device}", requires_grad=True)
        loss = leaf.sum()
        _KEEP_ALIVE.append((leaf, loss))
        loss.backward()
    except Exception:
        pass


_KEEP_ALIVE: list = []


def _report() -> None:
    devices = {}
    for i in range(int(torch.ops.mlu_emu.device_count())):
        current, peak, allocs, _ = torch.ops.mlu_emu.memory_stats(i)
        if allocs:
            devices[str(i)] = {"peak_bytes": int(peak), "allocations": int(allocs)}
    from . import _coverage

    _events.record("process", argv=sys.argv, devices=devices, apis=dict(_surface.used),
                   fallback_calls=_coverage.fallback_calls())
    if _autograd_threads_started():
        for i in devices:
            _drain_autograd(int(i))
        # Each task ends with the device thread briefly taking the GIL (it
        # restores Python thread-local state); give it the GIL before exit.
        time.sleep(0.05)


def _autograd_threads_started() -> bool:
    """Whether autograd has started its per-device threads (which need draining)."""
    try:
        tasks = os.listdir("/proc/self/task")
        return any(_comm(t).startswith("pt_autograd") for t in tasks)
    except OSError:
        return True  # cannot tell: drain to be safe


def _comm(task: str) -> str:
    try:
        with open(f"/proc/self/task/{task}/comm", encoding="ascii") as f:
            return f.read()
    except OSError:
        return ""


if "mlu" not in getattr(torch._C, "_get_privateuse1_backend_name", lambda: "")():
    _register()
