"""The dependency tables agree with the byte gates that decide which files are read at all."""
import re

import pytest

from gpu2mlu.kinds import CONFIG, TRIGGERS
from gpu2mlu.rules import LINES, load_ruleset, load_table


def sample_name(glob):
    """A name the glob matches: `*` as a word, `[0-9]` as a digit."""
    return re.sub(r"\[[^\]]*\]", "1", glob).replace("*", "x")


TABLE = load_table("packages.toml")


@pytest.mark.parametrize("glob", list(TABLE["distributions"]) + list(TABLE["conda"]) + list(TABLE["mlu_since"]))
def test_config_gate_lets_every_reported_name_through(glob):
    name = sample_name(glob)
    assert TRIGGERS[CONFIG].search(f'dependencies = ["{name}"]'.encode()), name


@pytest.mark.parametrize("line", LINES)
def test_every_line_says_which_torch_to_install(line):
    torch = load_ruleset(line).torch_line
    assert torch.version.startswith(line + ".")
    assert torch.torchvision.startswith("torchvision==") and torch.torchaudio == f"torchaudio=={torch.version}"


def test_specific_globs_come_before_the_generic_ones():
    globs = list(TABLE["distributions"])
    generic = [i for i, g in enumerate(globs) if g.startswith("*")]
    assert generic and generic == list(range(generic[0], len(globs)))
    assert globs.index("nvidia-ml-py*") < globs.index("nvidia-*") and globs.index("nvidia-dali-*") < globs.index("nvidia-*")
