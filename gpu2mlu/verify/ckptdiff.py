"""Compare the files two runs saved with torch.save: the torch side of `verify --compare`.

Run as a script under the verify environment (so MLU-located storages load):
    python ckptdiff.py PAIRS.json RESULT.json
PAIRS is [[name, original_path, converted_path], ...]; RESULT gets one entry per pair:
{"name", "tensors", "differing_tensors", "differing_leaves", "first", "error"}.  The gpu2mlu process
only writes and reads the JSON; torch is imported here, in the child.

Walk: dicts by key (a key on one side only is a difference), lists/tuples by index, objects with
the default `==` by their attributes.  Tensors must match in dtype, shape and bytes (so NaN == NaN
and -0.0 != 0.0, unlike torch.equal); floats by their bits too; other leaves by `==`.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Mapping


@dataclasses.dataclass
class Walk:
    tensors: int = 0
    differing_tensors: int = 0
    differing_leaves: int = 0
    first: str | None = None  # "key.path: what differs"

    def differ(self, path: str, why: str, tensor: bool) -> None:
        if tensor:
            self.differing_tensors += 1
        else:
            self.differing_leaves += 1
        if self.first is None:
            self.first = f"{path or '<top>'}: {why}"


def compare_objects(a, b, walk: Walk | None = None, path: str = "") -> Walk:
    import torch

    walk = walk or Walk()
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        walk.tensors += 1
        why = tensor_difference(a, b)
        if why:
            walk.differ(path, why, tensor=True)
    elif isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in a:
            if key not in b:
                walk.differ(_key(path, key), "only in the original run's file", tensor=False)
        for key in b:
            if key not in a:
                walk.differ(_key(path, key), "only in the converted run's file", tensor=False)
            else:
                compare_objects(a[key], b[key], walk, _key(path, key))
    elif type(a) is not type(b):
        walk.differ(path, f"{type(a).__name__} vs {type(b).__name__}", tensor=False)
    elif isinstance(a, (list, tuple)):
        if len(a) != len(b):
            walk.differ(path, f"length {len(a)} vs {len(b)}", tensor=False)
        for i, (x, y) in enumerate(zip(a, b)):
            compare_objects(x, y, walk, f"{path}[{i}]")
    elif isinstance(a, float):
        if a.hex() != b.hex():  # bits: nan equals nan, -0.0 differs from 0.0
            walk.differ(path, f"{a!r} vs {b!r}", tensor=False)
    elif type(a).__eq__ is object.__eq__ and hasattr(a, "__dict__"):
        compare_objects(vars(a), vars(b), walk, path)  # identity would make every object differ
    elif not _equal(a, b):
        walk.differ(path, f"{_short(a)} vs {_short(b)}", tensor=False)
    return walk


def tensor_difference(a, b) -> str | None:
    """None when a and b have the same dtype, shape and bytes; else what differs."""
    import torch

    if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
        return f"{type(a).__name__} vs {type(b).__name__}"
    if a.dtype != b.dtype:
        return f"dtype {a.dtype} vs {b.dtype}"
    if a.shape != b.shape:
        return f"shape {list(a.shape)} vs {list(b.shape)}"
    plain_a, plain_b = _plain(a), _plain(b)
    if plain_a is None or plain_b is None:  # sparse or quantized: no plain bytes to read
        return None if torch.equal(a, b) else "values differ"
    a, b = plain_a, plain_b
    bits_a, bits_b = _bits(a), _bits(b)
    if torch.equal(bits_a, bits_b):
        return None
    count = int((bits_a != bits_b).sum()) if bits_a.shape == (a.numel(),) else None
    of = f"{count} of {a.numel()} elements differ" if count is not None else "bytes differ"
    if a.is_complex() or a.dtype == torch.bool:
        return of
    finite = torch.isfinite(a) & torch.isfinite(b) if a.is_floating_point() else None
    diff = (a.double() - b.double()).abs()
    if finite is not None:
        diff = diff[finite]
    biggest = float(diff.max()) if diff.numel() else 0.0
    if biggest == 0.0:
        return f"{of} (NaN, infinity or the sign of zero)"
    return f"max abs diff {biggest:.3g} ({of})"


def _plain(t):
    """A dense, contiguous, CPU, grad-free 1-D copy whose bytes can be read; None if it has none."""
    import torch

    t = t.detach()
    if t.layout != torch.strided or t.is_quantized:
        return None
    return t.cpu().resolve_conj().resolve_neg().contiguous().reshape(-1)


def _bits(t):
    """The elements as same-width integers (one per element), or the raw bytes."""
    import torch

    ints = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}
    width = t.element_size()
    return t.view(ints[width]) if width in ints else t.view(torch.uint8)


def _key(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def _equal(a, b) -> bool:
    if hasattr(a, "tobytes") and hasattr(a, "dtype"):  # numpy arrays and scalars: by bytes too
        return (a.dtype == b.dtype and getattr(a, "shape", None) == getattr(b, "shape", None)
                and a.tobytes() == b.tobytes())
    try:
        return bool(a == b)
    except Exception:  # an == that returns something without a truth value
        return repr(a) == repr(b)


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def compare_files(original: str, converted: str) -> Walk:
    import torch

    load = [torch.load(p, map_location="cpu", weights_only=False) for p in (original, converted)]
    return compare_objects(*load)


def main(argv: list[str]) -> int:
    pairs_file, result_file = argv
    with open(pairs_file, encoding="utf-8") as f:
        pairs = json.load(f)
    results = []
    for name, original, converted in pairs:
        entry = {"name": name, "error": None}
        try:
            entry.update(dataclasses.asdict(compare_files(original, converted)))
        except Exception as exc:  # a file torch cannot load is reported, not fatal
            entry["error"] = f"cannot load: {type(exc).__name__}: {exc}"[:500]
        results.append(entry)
    with open(result_file, "w", encoding="utf-8") as f:
        json.dump(results, f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
