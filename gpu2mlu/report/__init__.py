"""Reports: one result model (RunResult), one renderer per format."""
from gpu2mlu.report.model import RunResult, summarize

__all__ = ["RunResult", "summarize"]
