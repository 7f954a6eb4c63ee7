"""The Python file kind: the converter plus, for setup.py, its dependency findings."""
from __future__ import annotations

from typing import Optional

from gpu2mlu.kinds import Unconvertible
from gpu2mlu.python.convert import ConversionError, convert_python
from gpu2mlu.python.syntax import ParseError
from gpu2mlu.results import Conversion
from gpu2mlu.rules import RuleSet


def convert_file(text: str, rules: RuleSet, rel: str, timing: Optional[dict] = None) -> Conversion:
    try:
        conversion = convert_python(text, rules, timing)
    except ParseError as exc:
        raise Unconvertible(f"not valid Python 3 ({exc}); copied unchanged") from None
    except ConversionError as exc:
        raise Unconvertible(f"gpu2mlu could not convert it safely ({exc}); copied unchanged") from None
    if rel.rsplit("/", 1)[-1] == "setup.py":
        from gpu2mlu.deps import setup_py_findings
        extra = setup_py_findings(text, rules)
        if extra:
            findings = sorted(set(conversion.findings) | set(extra), key=lambda f: (f.line, f.id, f.message))
            conversion = Conversion(conversion.text, conversion.changes, tuple(findings), conversion.edits)
    return conversion
