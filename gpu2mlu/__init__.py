"""gpu2mlu: precise migration of PyTorch CUDA projects to Cambricon MLU (torch_mlu)."""
__version__ = "0.1.0"

from gpu2mlu.engine import MigrationError, migrate  # noqa: E402
from gpu2mlu.python.convert import convert_python  # noqa: E402

__all__ = ["MigrationError", "__version__", "convert_python", "migrate"]
