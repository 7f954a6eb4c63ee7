"""Dependency files (being built; see issue 4)."""
from gpu2mlu.results import Conversion


def convert_requirements(text, rules, rel):
    return Conversion(text)


def setup_py_findings(text, rules):
    return []


def dependency_findings(text, rules, rel):
    return []
