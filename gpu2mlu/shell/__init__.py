"""Shell scripts and Dockerfiles (being built; see issue 4)."""
from gpu2mlu.results import Conversion


def convert_shell(text, rules):
    return Conversion(text)


def convert_shell_file(text, rules, rel):
    return convert_shell(text, rules)


def convert_dockerfile(text, rules, rel):
    return Conversion(text)
