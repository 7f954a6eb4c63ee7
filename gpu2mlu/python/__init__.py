"""The Python converter: `ast` finds what to change, text edits change only those spans."""
from gpu2mlu.python.convert import ParseError, convert_python

__all__ = ["ParseError", "convert_python"]
