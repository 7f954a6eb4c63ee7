"""Format dispatch, unparsable files, the trigger gate, dependency files and large files."""
import pytest

from gpu2mlu import config as config_package
from gpu2mlu.config import convert_config, format_of
from gpu2mlu.kinds import CONFIG, TRIGGERS, Unconvertible, kind_of
from gpu2mlu.results import Finding
from gpu2mlu.rules import LINES, load_ruleset
from tests.config.helpers import RULES, convert


@pytest.mark.parametrize("rel, fmt", [
    ("a.yaml", "YAML"), ("b/c.YML", "YAML"), ("x.json", "JSON"), ("pyproject.toml", "TOML"),
    ("setup.cfg", "INI"), ("tox.ini", "INI"),
])
def test_dispatch_on_suffix(rel, fmt):
    assert kind_of(rel) == CONFIG
    assert format_of(rel).FORMAT == fmt


@pytest.mark.parametrize("text, rel, reason", [
    pytest.param("{{- if .Values.gpu }}\ndevice: cuda\n{{- end }}\n", "chart/templates/job.yaml", "YAML does not parse", id="helm"),
    pytest.param("a: [cuda\n", "a.yaml", "YAML does not parse", id="yaml-unclosed"),
    pytest.param('{\n  // the device\n  "device": "cuda"\n}\n', "settings.json", "JSON does not parse", id="json-comments"),
    pytest.param('{"device": "cuda",}\n', "a.json", "JSON does not parse", id="json-trailing-comma"),
    pytest.param('device = "cuda\n', "a.toml", "TOML does not parse", id="toml-unclosed"),
    pytest.param("[a]\ndevice = cuda\n= nccl\n", "a.ini", "INI does not parse", id="ini-empty-option-name"),
])
def test_unparsable_with_a_trigger_is_unconvertible(text, rel, reason):
    with pytest.raises(Unconvertible) as info:
        convert(text, rel)
    message = str(info.value)
    assert message.startswith(reason + " (") and message.endswith("); copied unchanged")
    assert "line" in message


def test_deep_json_nesting_is_unconvertible():
    with pytest.raises(Unconvertible, match="nested too deeply"):
        convert("[" * 50000 + '"cuda"' + "]" * 50000, "deep.json")


def test_deep_yaml_nesting_converts_without_recursion():
    # 40,000 levels (a sequence and a single-pair mapping per '['): libyaml's composer crashes the
    # process here; the event walk has no recursion. Newer libyaml builds (PyYAML 6.0.3+) refuse
    # such depth themselves: then the file is skipped with the reason, which is as safe.
    text = "a: [" + '"k": [' * 20000 + "cuda" + "]" * 20001 + "\n"
    try:
        result = convert(text, "deep.yaml")
    except Unconvertible as exc:
        assert "nesting depth" in str(exc)
    else:
        assert result.text == text.replace("cuda", "mlu")


@pytest.mark.parametrize("text, rel", [
    pytest.param("{{- if .Values.on }}\nimage: x\n{{- end }}\n", "chart/templates/job.yaml", id="helm-nothing-to-do"),
    pytest.param('{\n  // flash attention settings\n  "x": 1\n}\n', "settings.json", id="json-nothing-to-do"),
])
def test_unparsable_without_anything_to_convert_is_left_alone(text, rel):
    result = convert(text, rel)
    assert result.text == text and not result.findings


def test_files_without_candidates_are_not_parsed(monkeypatch):
    def boom(text):
        raise AssertionError("parsed")
    monkeypatch.setattr(config_package.yaml_scalars, "scalars", boom)
    text = "model: resnet\n# runs on CUDA hardware\nlr: 0.1\n"
    assert convert(text, "a.yaml").text == text


def test_dependency_files_merge_dependency_findings(monkeypatch):
    seen = []

    def fake(text, rules, rel):
        seen.append(rel)
        return [Finding(3, "GM301", "apex is a CUDA-only package", "remove it")]
    monkeypatch.setattr(config_package, "dependency_findings", fake)
    result = convert_config('[project]\nname = "x"\ndependencies = ["apex"]\n', RULES, "pyproject.toml")
    assert [(f.id, f.line) for f in result.findings] == [("GM301", 3)]
    result = convert_config("name: env\nvariables:\n  CUDA_LAUNCH_BLOCKING: 1\n", RULES, "sub/environment.yml")
    assert [(f.id, f.line) for f in result.findings] == [("GM301", 3), ("GM401", 3)]
    convert_config("[metadata]\nname = x\n", RULES, "setup.cfg")
    convert_config("device: cuda\n", RULES, "train.yaml")
    assert seen == ["pyproject.toml", "sub/environment.yml", "setup.cfg"]


@pytest.mark.parametrize("line", LINES)
def test_gate_lets_through_every_word_a_rule_acts_on(line):
    rules = load_ruleset(line)
    words = {*rules.devices, *rules.backends, *rules.env, *rules.nccl_env_prefixes, *rules.cuda_env_prefixes}
    for flag in rules.config_flags:
        words.update(flag.words())
    missing = sorted(w for w in words if not TRIGGERS[CONFIG].search(w.encode()))
    assert not missing, f"add these to TRIGGERS[CONFIG]: {missing}"


@pytest.mark.parametrize("rel, text", [
    ("a.yaml", "a: 1\r\ndevice: cuda\r\nenv:\r\n  - CUDA_HOME=/x\r\n"),
    ("a.json", '{"device": "cuda", "CUDA_VISIBLE_DEVICES": "1"}'),
    ("a.toml", 'device = "cuda"\nenv = ["NCCL_BLOCKING_WAIT=1"]\n'),
    ("a.ini", "[x]\ndevice = cuda\nCUDA_PATH = /opt\n"),
])
def test_idempotent(rel, text):
    first = convert(text, rel)
    assert first.changes
    second = convert(first.text, rel)
    assert second.text == first.text and not second.changes


def test_large_yaml_converts_every_value():
    lines = []
    for i in range(1000):
        lines += [f"layer{i}:", f"  name: \"conv_{i}\"  # comment", f"  device: cuda:{i % 8}",
                  f"  sizes: [1, 2, 3, {i}]", "  enabled: true"]
    text = "\n".join(lines) + "\n"
    result = convert(text, "big.yaml")
    assert len(result.changes) == 1000
    assert result.text == text.replace("device: cuda:", "device: mlu:")
