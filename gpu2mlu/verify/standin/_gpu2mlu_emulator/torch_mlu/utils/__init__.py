"""torch_mlu.utils (only the cpp_extension names are provided)."""
