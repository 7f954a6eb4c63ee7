"""The Python converter: `ast` finds what to change, text edits change only those spans."""
from gpu2mlu.python.convert import convert_python
from gpu2mlu.python.syntax import ParseError

__all__ = ["ParseError", "convert_python"]
