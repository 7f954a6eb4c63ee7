import os

import pytest


def pytest_collection_modifyitems(config, items):
    # CI sets GPU2MLU_REQUIRE_TORCH=1: tests that need torch must run there, never skip.
    if os.environ.get("GPU2MLU_REQUIRE_TORCH") == "1":
        try:
            import torch  # noqa: F401
        except ImportError:
            raise pytest.UsageError("GPU2MLU_REQUIRE_TORCH=1 but torch is not installed")
