"""gpu2mlu: precise migration of PyTorch CUDA projects to Cambricon MLU (torch_mlu).

The Python API (see gpu2mlu/api.py and the README): convert_text, convert_file, convert_tree,
migrate, preview; results are Conversion, FileResult, RunResult, Change and Finding objects.
"""
__version__ = "0.2.0"

from gpu2mlu.api import Unconvertible, convert_file, convert_text, convert_tree  # noqa: E402
from gpu2mlu.engine import load_settings, migrate, preview  # noqa: E402
from gpu2mlu.errors import MigrationError, WriteError  # noqa: E402
from gpu2mlu.python.convert import convert_python  # noqa: E402
from gpu2mlu.report import RunResult  # noqa: E402
from gpu2mlu.results import Change, Conversion, FileResult, Finding  # noqa: E402
from gpu2mlu.settings import Settings, SettingsError  # noqa: E402

__all__ = [
    "Change", "Conversion", "FileResult", "Finding", "MigrationError", "RunResult", "Settings",
    "SettingsError", "Unconvertible", "__version__", "convert_file", "convert_python", "convert_text",
    "WriteError", "convert_tree", "load_settings", "migrate", "preview",
]
