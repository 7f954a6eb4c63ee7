"""Jupyter notebooks (.ipynb): code cells converted as one Python program, IPython syntax and
shell commands handled, the JSON kept byte for byte outside the changed source strings."""
from gpu2mlu.notebook.convert import convert_notebook

__all__ = ["convert_notebook"]
