"""Cambricon's own runtime migration (torch_mlu.utils.gpu_migration, formerly model_transfer)
imported under `gpu2mlu run`.

Both would patch torch.cuda, device arguments and the nccl backend, each on top of the other: the
result would depend on the order, torch internals would see torch.mlu, and our call log would miss
what theirs mapped first. So the import is blocked: the program gets an empty module and keeps
running on our mapping alone (the same on the emulator, where torch_mlu has no such module), and a
"double-migration" problem names the importing file:line.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys

import _gpu2mlu_process

from . import sites

MODULES = ("torch_mlu.utils.gpu_migration", "torch_mlu.utils.model_transfer")
ADVICE = ("Cambricon's runtime migration and `gpu2mlu run` would both patch torch.cuda; gpu2mlu "
          "run kept {name} from loading (the program got an empty module) and mapped CUDA itself. "
          "Drop this import under gpu2mlu run, or run without gpu2mlu run to use torch_mlu's "
          "migration alone.")


def _blocked(name: str) -> str | None:
    return next((m for m in MODULES if name == m or name.startswith(m + ".")), None)


class _Empty(importlib.abc.Loader):
    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module):
        name = module.__name__

        def __getattr__(attr):
            raise AttributeError(f"{name}.{attr}: gpu2mlu run blocked {name} (it maps CUDA "
                                 "itself); drop this import under gpu2mlu run")

        module.__getattr__ = __getattr__


class _Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = _blocked(name)
        if top is None:
            return None
        if name == top:  # its submodules are blocked with it: one report
            file, line, _, _ = sites.site(sys._getframe(1))
            at = _gpu2mlu_process.where(file, line) if file else "<unknown location>"
            _gpu2mlu_process.record("double-migration", api=name, where=at,
                                    message=ADVICE.format(name=name))
        return importlib.util.spec_from_loader(name, _Empty(), is_package=True)


def install() -> None:
    sys.meta_path.insert(0, _Blocker())
