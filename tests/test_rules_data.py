"""The rule tables are well formed, documented and cover the torch.cuda surface."""
import json
import re
from pathlib import Path

import pytest

from gpu2mlu.rules import LINES, load_ruleset, load_table
from gpu2mlu.rules.docs import render

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("line", LINES)
def test_tables_load(line):
    rules = load_ruleset(line)
    assert rules.entries["torch.cuda"].target == "torch.mlu"
    assert "torch.mlu.synchronize" in rules.mlu_api


def test_findings_doc_is_generated_from_the_table():
    assert (ROOT / "docs" / "findings.md").read_text() == render(), \
        "run: python -m gpu2mlu.rules.docs > docs/findings.md"


def test_finding_ids_are_well_formed():
    for fid, raw in load_table("findings.toml").items():
        assert re.fullmatch(r"GM[1-6]\d\d", fid)
        assert raw["message"] and raw["suggestion"] and raw["name"]


def test_every_used_finding_is_defined_and_every_defined_finding_is_used():
    used = set()
    for line in LINES:
        rules = load_ruleset(line)
        used |= {e.finding for e in rules.entries.values() if e.finding}
        used |= {r.finding for r in rules.env.values() if r.finding}
        used |= {f.finding for f in rules.config_flags}
    code = "\n".join(p.read_text() for p in (ROOT / "gpu2mlu").rglob("*.py"))
    used |= set(re.findall(r'"(GM\d{3})"', code))
    assert used == set(load_table("findings.toml"))


def test_module_members_are_not_listed_twice():
    for block in load_table("torch_api.toml")["module"]:
        same = block.get("same", [])
        assert len(same) == len(set(same)), block["cuda"]


def test_readme_and_families_table_document_every_rule_family():
    readme = (ROOT / "README.md").read_text()
    documented = set(load_table("families.toml"))
    families = {e.rule for line in LINES for e in load_ruleset(line).entries.values()}
    golden = json.loads((ROOT / "tests" / "golden" / "imagenet" / "report.json").read_text())
    families |= {c["rule"] for c in golden["changes"]}
    families |= {"import-torch-mlu", "device-literal", "env-var"}
    assert families <= documented, f"add to families.toml: {sorted(families - documented)}"
    for family in documented:
        assert f"`{family}`" in readme, family


def test_table_covers_torch_cuda_of_the_installed_torch():
    torch = pytest.importorskip("torch")
    import torch.cuda
    rules = load_ruleset()
    unclassified = [n for n in torch.cuda.__all__ if f"torch.cuda.{n}" not in rules.entries]
    assert not unclassified, f"add these torch {torch.__version__} names to torch_api.toml: {unclassified}"
