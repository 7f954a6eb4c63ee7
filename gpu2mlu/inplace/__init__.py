"""--in-place: convert the input tree itself, journaled so that --undo can always restore it.

A layer above the engine (gpu2mlu/engine.py converts in memory; this package only replaces files
and keeps their originals). The journal (gpu2mlu/inplace/journal.py) lives in
PROJECT/.gpu2mlu/backup-YYYYmmdd-HHMMSS/: `files/` holds the original of every changed file,
`manifest.json` the SHA-256 of each file before and after and the run's state, next to the run's
reports. gpu2mlu never walks `.gpu2mlu/`, and a `.gitignore` in it keeps it out of git.
"""
from gpu2mlu.inplace.convert import convert_in_place, uncommitted_changes
from gpu2mlu.inplace.undo import UndoResult, undo

__all__ = ["UndoResult", "convert_in_place", "uncommitted_changes", "undo"]
