"""State shared by the rule families while one file is converted."""
from __future__ import annotations

from dataclasses import dataclass, field

from gpu2mlu.edits import Edit
from gpu2mlu.python.imports import ImportPlan
from gpu2mlu.results import Finding
from gpu2mlu.rules import RuleSet
from gpu2mlu.source import LineIndex


@dataclass
class FileContext:
    text: str
    index: LineIndex
    rules: RuleSet
    imports: ImportPlan
    edits: list[Edit] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    extra_imports: list[str] = field(default_factory=list)  # modules a respelled name needs

    def edit(self, start: int, end: int, text: str, rule: str) -> None:
        if self.text[start:end] != text:
            self.edits.append(Edit(start, end, text, rule))

    def flag(self, line: int, finding_id: str, name: str, **extra: str) -> None:
        self.findings.append(self.rules.finding(line, finding_id, name, **extra))

    def need_import(self, module: str) -> None:
        if module not in self.extra_imports:
            self.extra_imports.append(module)
