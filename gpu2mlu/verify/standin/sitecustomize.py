"""Loaded by every Python process of a `gpu2mlu verify` run (via PYTHONPATH).

It imports the torch_mlu stand-in right after the program imports torch, so
the emulated device and the CUDA tripwires exist in every process (spawned
ranks, torchrun workers) even where a file never imports torch_mlu.  Processes
that never import torch pay only for _gpu2mlu_process (one log line at start and at exit).
Any sitecustomize we shadow still runs.
"""

import importlib.abc
import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


class _AfterTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "torch":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec("torch")
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            import torch_mlu  # noqa: F401  (registers the emulated device)

        spec.loader.exec_module = exec_module
        return spec


def _chain_shadowed_sitecustomize():
    saved = sys.path[:]
    try:
        sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
        mine = sys.modules.pop("sitecustomize", None)
        spec = importlib.util.find_spec("sitecustomize")
        if spec is not None and spec.loader is not None:
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
    except Exception:
        pass
    finally:
        sys.path[:] = saved
        if mine is not None:
            sys.modules["sitecustomize"] = mine


if os.environ.get("GPU2MLU_EMU_LIB"):
    import _gpu2mlu_process  # start/exit, uncaught exceptions and fatal signals of every process

    _gpu2mlu_process.install()
    if os.environ.get("GPU2MLU_MODE") == "run":
        import _gpu2mlu_run  # `gpu2mlu run`: the call log, and CUDA variables mapped before torch

        _gpu2mlu_run.install()
if os.environ.get("GPU2MLU_EMU_LIB") and "torch" not in sys.modules:
    sys.meta_path.insert(0, _AfterTorch())
_chain_shadowed_sitecustomize()
