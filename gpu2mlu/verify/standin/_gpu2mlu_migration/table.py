"""The run's mapping table (gpu2mlu/verify/mapping.py wrote it) and what its names refer to."""

from __future__ import annotations

import importlib

import _gpu2mlu_run

MISSING = object()


def data() -> dict:
    return _gpu2mlu_run.table()


def names() -> dict:
    return data().get("names", {})


def resolve(dotted: str):
    """The object a dotted name refers to (importing modules on the way), or MISSING."""
    parts = dotted.split(".")
    try:
        obj = importlib.import_module(parts[0])
    except ImportError:
        return MISSING
    for i, part in enumerate(parts[1:], start=1):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            try:
                obj = importlib.import_module(".".join(parts[:i + 1]))
            except ImportError:
                return MISSING
    return obj


def owner_and_leaf(dotted: str):
    owner, _, leaf = dotted.rpartition(".")
    return resolve(owner), leaf


class CallSpec:
    """A converter call rule (torch_api.toml `call`) applied to the arguments of a live call."""

    def __init__(self, raw: dict):
        self.insert = raw.get("insert", MISSING)
        self.unless_positional = raw.get("insert_unless_positional")
        self.unless_keyword = raw.get("insert_unless_keyword")
        self.to_keywords = tuple(raw.get("positional_to_keywords", ()))
        self.renames = dict(raw.get("rename_keywords", {}))
        self.add_keyword = tuple(raw["add_keyword"]) if "add_keyword" in raw else None
        self.fewer_than = raw.get("only_with_positional_fewer_than")

    def applies(self, args) -> bool:
        return self.fewer_than is None or len(args) < self.fewer_than

    def apply(self, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        return self.rewrite(args, kwargs)[:2]

    def rewrite(self, args: tuple, kwargs: dict) -> tuple[tuple, dict, bool]:
        """(args, kwargs, whether the rule changed anything)."""
        changed = False
        if self.to_keywords and args:
            kwargs = {**dict(zip(self.to_keywords, args)), **kwargs}
            args, changed = args[len(self.to_keywords):], True
        if self.insert is not MISSING and not (
                (self.unless_positional is not None and len(args) >= self.unless_positional)
                or (self.unless_keyword is not None and self.unless_keyword in kwargs)):
            args, changed = (self.insert, *args), True
        if self.renames and any(k in self.renames for k in kwargs):
            kwargs, changed = {self.renames.get(k, k): v for k, v in kwargs.items()}, True
        if self.add_keyword is not None and self.add_keyword[0] not in kwargs:
            kwargs, changed = {**kwargs, self.add_keyword[0]: self.add_keyword[1]}, True
        return args, kwargs, changed
