"""torch.cuda (and its submodules), torch.backends.cuda and torch.backends.cudnn as code outside
torch sees them.

The real modules stay in place (so `import torch.cuda as tc`, `from torch.cuda.amp import autocast`
and torch's own references all reach them); only their class is swapped, as the verify tripwires do.
An attribute read from torch or the stand-in gets the real attribute. A read from the project or a
dependency gets what torch_api.toml maps it to: the torch.mlu object, a call-rule wrapper
(torch.cuda.amp.autocast -> torch.amp.autocast('mlu', ...)), or, for a name torch_mlu lacks, the
real attribute with the finding logged. A package that must see CUDA as absent (runtime.toml
[identity]) gets the absent answers (is_available() False, device_count() 0) and real attributes.
Writes to flags (torch.backends.cudnn.allow_tf32 = True) go to the MLU flag; other writes stay
the program's own (mock.patch works, and restoring the mapped value restores the real one).
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import types

from . import calls, sites, table

PREFIXES = ("torch.cuda", "torch.backends.cuda", "torch.backends.cudnn")
_DOTTED = tuple(p + "." for p in PREFIXES)
_FROM = "torch.cuda"  # the identity answers are about this module's functions

_members: dict[str, dict[str, dict]] = {}  # module name -> {attribute: table row}
_closed: set[str] = set()
_values: dict[str, object] = {}  # full name -> what the project gets (built once)
_shown: dict[str, str] = {}  # full name -> what the call log says it became
_saved: dict[str, object] = {}  # full name -> the real value a program's assignment replaced
_classes: dict[tuple, type] = {}
_absent: dict[str, object] = {}


def _ours(name: str) -> bool:
    return name.startswith(_DOTTED) or name in PREFIXES


handles = _ours  # the names this module maps (calls.py leaves them alone)


def _load_rows() -> None:
    for full, row in table.names().items():
        owner, _, attr = full.rpartition(".")
        if _ours(owner):
            _members.setdefault(owner, {})[attr] = row
        if row.get("module") and row.get("closed") and _ours(full):
            _closed.add(full)
    for attr, answer in table.data().get("identity", {}).get("absent", {}).items():
        _absent[attr] = (lambda answer: lambda *args, **kwargs: answer)(answer)


def _mapped(module_name: str, name: str, row: dict, real):
    """What the project gets for `module_name.name` (cached); `real` may be table.MISSING."""
    full = f"{module_name}.{name}"
    value = _values.get(full, table.MISSING)
    if value is not table.MISSING:
        return value
    if isinstance(real, types.ModuleType) and _ours(real.__name__):
        value = swap(real)  # its members map one by one
    elif row.get("module") and _ours(full) and real is not table.MISSING:
        value = _MappedObject(real, full)  # torch.backends.cuda.matmul: an object, not a module
    elif "call" in row:
        value = calls.with_call_rule(real, row.get("to"), row["call"], full)
    elif row.get("to"):
        value = table.resolve(row["to"])
        if value is table.MISSING:
            value = real  # the emulator lacks the MLU name: nothing better to give
    else:
        value = real
    if value is table.MISSING:
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
    _values[full] = value
    return value


def _real(real_get, owner, name):
    try:
        return real_get(owner, name)
    except AttributeError:
        return table.MISSING


def read(module_name: str, name: str, real_get, owner, frame, package, hidden):
    """An attribute read by code outside torch (frame: that code's frame)."""
    full = f"{module_name}.{name}"
    row = _members.get(module_name, {}).get(name)
    if full in _saved:  # the program assigned it: it reads back its own value
        return real_get(owner, name)
    rule = row["rule"] if row else "torch-cuda-api"
    if hidden:
        sites.note(sites.at(frame, package, hidden), "hidden", full, None, rule)
        answer = _absent.get(name) if module_name == _FROM else None
        return answer if answer is not None else real_get(owner, name)
    site = sites.at(frame, package, hidden)
    if row is None:
        if module_name in _closed and not name.startswith("_"):
            sites.note(site, "unsupported", full, None, rule, "GM100")
        return real_get(owner, name)
    if row["status"] == "unsupported":
        sites.note(site, "unsupported", full, None, rule, row["finding"])
        return real_get(owner, name)
    value = _mapped(module_name, name, row, _real(real_get, owner, name))
    if not (row.get("module") and row["status"] == "mapped"):  # members are logged, not modules
        shown = _shown.get(full) or _shown.setdefault(full, calls.shown_target(row, full))
        sites.note(site, row["status"], full, shown, rule, row["finding"])
    return value


def write(module_name: str, name: str, value, real_get, real_set, owner, frame, package) -> None:
    full = f"{module_name}.{name}"
    row = _members.get(module_name, {}).get(name)
    target = row.get("to") if row else None
    if target and not row.get("module"):
        target_owner, leaf = table.owner_and_leaf(target)
        current = getattr(target_owner, leaf, table.MISSING)
        if target_owner is not table.MISSING and current is not table.MISSING and not callable(current):
            # a flag: torch.backends.cudnn.allow_tf32 = True sets torch.backends.cnnl.allow_tf32
            setattr(target_owner, leaf, value)
            sites.note(sites.at(frame, package, False), row["status"], full, target, row["rule"],
                       row["finding"])
            return
    if row is not None and row["rule"] == "backends" and full not in _saved:  # a flag that stays
        status = row["status"]
        sites.note(sites.at(frame, package, False), status, full,
                   None if status == "unsupported" else full, row["rule"], row["finding"])
    if full in _saved and (value is _values.get(full) or value is _saved[full]):
        # mock.patch restoring what it read (the mapped value, or the real one from __dict__)
        saved = _saved.pop(full)
        if saved is table.MISSING:
            object.__delattr__(owner, name)
        else:
            real_set(owner, name, saved)
        return
    if full not in _saved:
        _saved[full] = _real(real_get, owner, name)
    real_set(owner, name, value)


def _mapping_class(base: type, module_name: str) -> type:
    key = (base, module_name)
    if key in _classes:
        return _classes[key]
    members = _members.get(module_name, {})
    real_get, real_set = base.__getattribute__, base.__setattr__

    def __getattribute__(self, name):
        if name[0] == "_" and name not in members:
            return real_get(self, name)
        frame, (kind, package, hidden) = sites.caller(sys._getframe(1))
        if kind != sites.CODE:  # torch, the stand-in, the import machinery: the real module
            return real_get(self, name)
        return read(module_name, name, real_get, self, frame, package, hidden)

    def __setattr__(self, name, value):
        frame, (kind, package, hidden) = sites.caller(sys._getframe(1))
        if kind != sites.CODE or hidden or name.startswith("__"):
            return real_set(self, name, value)
        write(module_name, name, value, real_get, real_set, self, frame, package)

    cls = type(base.__name__, (base,), {"__getattribute__": __getattribute__,
                                         "__setattr__": __setattr__, "__module__": base.__module__})
    _classes[key] = cls
    return cls


def swap(module):
    """Give a torch.cuda* / torch.backends.cud* module the mapping class (once)."""
    cls = type(module)
    if getattr(cls, "__gpu2mlu_mapped__", False):
        return module
    name = cls.__getattribute__(module, "__name__")
    mapped = _mapping_class(cls, name)
    mapped.__gpu2mlu_mapped__ = True
    module.__class__ = mapped
    return module


class _MappedObject:
    """A member that is an object with members of its own (torch.backends.cuda.matmul)."""

    def __init__(self, real, full: str):
        object.__setattr__(self, "_real", real)
        object.__setattr__(self, "_full", full)

    def __getattr__(self, name):
        frame, (_, package, hidden) = sites.caller(sys._getframe(1))
        return read(self._full, name, _object_get, self._real, frame, package, hidden)

    def __setattr__(self, name, value):
        frame, (_, package, _) = sites.caller(sys._getframe(1))
        write(self._full, name, value, _object_get, setattr, self._real, frame, package)

    def __repr__(self):
        return repr(self._real)


def _object_get(obj, name):
    return getattr(obj, name)


class _SwapAfterImport(importlib.abc.MetaPathFinder):
    """torch.cuda submodules imported later (torch.cuda.tunable, ...) get the mapping class too."""

    def find_spec(self, name, path=None, target=None):
        if not _ours(name) or name in sys.modules:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            swap(sys.modules.get(name, module))

        spec.loader.exec_module = exec_module
        return spec


def install() -> None:
    _load_rows()
    for name, module in list(sys.modules.items()):
        if _ours(name) and isinstance(module, types.ModuleType):
            swap(module)
    sys.meta_path.insert(0, _SwapAfterImport())
