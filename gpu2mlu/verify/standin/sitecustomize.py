"""Loaded by every Python process of a `gpu2mlu verify` or `gpu2mlu run` run (via PYTHONPATH).

Right after the program imports torch it imports torch_mlu - the emulator's stand-in
(standin/_gpu2mlu_emulator, on PYTHONPATH only where no real torch_mlu exists) or Cambricon's real
one - so the MLU exists in every process (spawned ranks, torchrun workers) even where a file never
imports torch_mlu. Once torch_mlu is imported, `gpu2mlu run` installs its CUDA-to-MLU mapping
(_gpu2mlu_migration): one flow for both backends. Processes that never import torch pay only for
_gpu2mlu_process (one log line at start and at exit). Any sitecustomize we shadow still runs.
"""

import importlib.abc
import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
# Every child of the runner has an event log; nothing here acts outside a run.
_ACTIVE = bool(os.environ.get("GPU2MLU_VERIFY_EVENTS"))
_RUN = os.environ.get("GPU2MLU_MODE") == "run"


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls hooks[name](module) right after module `name` is imported (torch, torch_mlu)."""

    def __init__(self, hooks):
        self.hooks = dict(hooks)

    def find_spec(self, name, path=None, target=None):
        hook = self.hooks.pop(name, None)
        if hook is None:
            return None
        if not self.hooks:
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)  # the other finders' answer (our hook is gone)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            hook(module)

        spec.loader.exec_module = exec_module
        return spec


def _after_torch(_torch):
    # When the program imported torch_mlu first, this returns the module being initialized; its
    # own hook runs when it is done.
    import torch_mlu  # noqa: F401


def _after_torch_mlu(module):
    import _gpu2mlu_process

    module = sys.modules.get("torch_mlu", module)  # a package may replace itself while importing

    _gpu2mlu_process.record("backend", version=str(getattr(module, "__version__", "?")),
                            path=getattr(module, "__file__", None))
    if _RUN:
        import _gpu2mlu_migration  # `gpu2mlu run`: CUDA mapped to the MLU at run time

        _gpu2mlu_migration.install()


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


if _ACTIVE:
    import _gpu2mlu_process  # start/exit, uncaught exceptions and fatal signals of every process

    _gpu2mlu_process.install()
    if _RUN:
        import _gpu2mlu_run  # `gpu2mlu run`: the call log, and CUDA variables mapped before torch

        _gpu2mlu_run.install()
    if "torch" not in sys.modules:
        sys.meta_path.insert(0, _AfterImport({"torch": _after_torch,
                                              "torch_mlu": _after_torch_mlu}))
_chain_shadowed_sitecustomize()
