"""C, C++ and CUDA sources (being built; see issue 4)."""
from gpu2mlu.results import Conversion


def convert_native(text, rules, rel):
    return Conversion(text)
