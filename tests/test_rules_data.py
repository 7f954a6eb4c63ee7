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
        assert re.fullmatch(r"GM[1-7]\d\d", fid)
        assert raw["message"] and raw["suggestion"] and raw["name"]


def test_every_used_finding_is_defined_and_every_defined_finding_is_used():
    used = set()
    for line in LINES:
        rules = load_ruleset(line)
        used |= {e.finding for e in rules.entries.values() if e.finding}
        used |= {r.finding for r in rules.env.values() if r.finding}
        used |= {f.finding for f in rules.config_flags}
        used |= {fid for setting in rules.frameworks.settings for _, fid in setting.report}
        used |= {f.launcher_visible_devices for f in rules.frameworks.frameworks if f.launcher_visible_devices}
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


# torch.cuda.__all__ grows with every torch release. torch_api.toml's `checked_against` names the
# newest torch whose names were all classified: an unclassified name of that torch or an older one
# is a gap in the table (fail); one of a newer torch is news to act on, not a broken suite (skip).
CHECKED_AGAINST = load_table("torch_api.toml")["checked_against"]


def _release(version: str) -> tuple[int, ...]:
    """(2, 14, 1) for "2.14.1", "2.14.1+cu130", "2.14.1rc2"; a dev build counts as its release."""
    match = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", version)
    assert match, f"not a torch version: {version!r}"
    return tuple(int(part or 0) for part in match.groups())


def unclassified_names(names, rules) -> list:
    return sorted(n for n in names if f"torch.cuda.{n}" not in rules.entries)


def coverage_gap(torch_version: str, names, rules, checked_against: str = CHECKED_AGAINST) -> list:
    """The unclassified names of this torch's torch.cuda.__all__; skips the test when that torch
    is newer than the table."""
    unclassified = unclassified_names(names, rules)
    if unclassified and _release(torch_version) > _release(checked_against):
        pytest.skip(f"torch {torch_version} is newer than {checked_against}, the newest torch "
                    f"classified in gpu2mlu/rules/data/torch_api.toml; its torch.cuda names "
                    f"{unclassified} are not classified yet: add them to the torch.cuda block "
                    f"(same, renamed or missing, per torch_mlu) and set checked_against = "
                    f"\"{torch_version.split('+')[0]}\"")
    return unclassified


def test_table_covers_torch_cuda_of_the_installed_torch():
    torch = pytest.importorskip("torch")
    import torch.cuda
    unclassified = coverage_gap(torch.__version__, torch.cuda.__all__, load_ruleset())
    assert not unclassified, f"add these torch {torch.__version__} names to torch_api.toml: {unclassified}"


def test_checked_against_is_a_torch_release_the_tool_supports():
    assert re.fullmatch(r"\d+\.\d+\.\d+", CHECKED_AGAINST)
    assert _release(CHECKED_AGAINST) >= (2, 6)  # the oldest torch `gpu2mlu verify` and the suite take


@pytest.mark.parametrize("version", ["2.6.0", "2.13.0+cpu", "2.14.1", "2.14.1+cu130", "2.14.0a0+git1234"])
def test_an_unclassified_name_fails_up_to_the_checked_torch(version):
    assert coverage_gap(version, ["is_available", "brand_new_api"], load_ruleset(), "2.14.1") == ["brand_new_api"]


@pytest.mark.parametrize("version", ["2.14.2", "2.15.0", "2.15.0.dev20260901+cpu", "3.0"])
def test_an_unclassified_name_of_a_newer_torch_skips_and_says_what_to_do(version):
    with pytest.raises(pytest.skip.Exception) as skipped:
        coverage_gap(version, ["is_available", "brand_new_api"], load_ruleset(), "2.14.1")
    message = str(skipped.value)
    assert "['brand_new_api']" in message and "torch_api.toml" in message
    assert f'checked_against = "{version.split("+")[0]}"' in message


def test_a_newer_torch_without_new_names_passes():
    assert coverage_gap("2.99.0", ["is_available", "synchronize"], load_ruleset(), "2.14.1") == []

