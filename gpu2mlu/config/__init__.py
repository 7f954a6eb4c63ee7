"""Configuration files (being built; see issue 4)."""
from gpu2mlu.results import Conversion


def convert_config(text, rules, rel):
    return Conversion(text)
