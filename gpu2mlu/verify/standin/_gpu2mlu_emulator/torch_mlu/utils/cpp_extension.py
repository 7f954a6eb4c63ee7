"""torch_mlu.utils.cpp_extension names.

C++ sources build and run on the host exactly as with torch's CppExtension.
BANG C (.mlu) kernels need Cambricon's cncc and cannot run on the emulator, so
asking for them fails with a message saying so.
"""

from __future__ import annotations

from torch.utils import cpp_extension as _cpp

__all__ = ["MLUExtension", "BuildExtension", "load", "load_inline", "include_paths"]

BuildExtension = _cpp.BuildExtension
include_paths = _cpp.include_paths


class BangNotEmulated(NotImplementedError):
    pass


def _refuse_bang(what: str):
    raise BangNotEmulated(
        f"gpu2mlu verify: {what} compiles BANG C (.mlu) kernels with cncc; the MLU emulator "
        "cannot run device kernels. Verify such extensions on real MLU hardware."
    )


def MLUExtension(name, sources, *args, **kwargs):
    if any(str(s).endswith(".mlu") for s in sources):
        _refuse_bang("MLUExtension")
    kwargs.pop("extra_compile_args", None)
    return _cpp.CppExtension(name, sources, *args, **kwargs)


def load(name, sources, *args, bang_sources=None, extra_bang_cflags=None, with_bang=None, **kw):
    if bang_sources or with_bang or any(str(s).endswith(".mlu") for s in sources):
        _refuse_bang("torch_mlu.utils.cpp_extension.load")
    return _cpp.load(name, sources, *args, **kw)


def load_inline(name, cpp_sources, *args, bang_sources=None, extra_bang_cflags=None,
                with_bang=None, **kw):
    if bang_sources or with_bang:
        _refuse_bang("torch_mlu.utils.cpp_extension.load_inline")
    return _cpp.load_inline(name, cpp_sources, *args, **kw)
