"""TOML: one-line string values convert; keys, table names, multi-line and escaped strings stay."""
import pytest

from tests.config.helpers import assert_converts, assert_unchanged, convert


@pytest.mark.parametrize("before, after", [
    pytest.param('device = "cuda"\n', 'device = "mlu"\n', id="basic"),
    pytest.param("device = 'cuda:0'\n", "device = 'mlu:0'\n", id="literal"),
    pytest.param('[train]\nbackend = "nccl"  # comment\n', '[train]\nbackend = "cncl"  # comment\n', id="table-comment"),
    pytest.param('devices = ["cuda:0", \'cuda:1\']\n', 'devices = ["mlu:0", \'mlu:1\']\n', id="array"),
    pytest.param('devices = [\n  "cuda:0",  # first\n  "cuda:1",\n]\n', 'devices = [\n  "mlu:0",  # first\n  "mlu:1",\n]\n', id="multi-line-array"),
    pytest.param('t = { device = "cuda", n = 1.5 }\n', 't = { device = "mlu", n = 1.5 }\n', id="inline-table"),
    pytest.param('a.b.device = "cuda"\n', 'a.b.device = "mlu"\n', id="dotted-key"),
    pytest.param('"cuda" = "cuda"\n', '"cuda" = "mlu"\n', id="quoted-key-stays"),
    pytest.param('[[runs]]\ndevice = "cuda"\n[[runs]]\ndevice = "cpu"\n', '[[runs]]\ndevice = "mlu"\n[[runs]]\ndevice = "cpu"\n', id="array-of-tables"),
    pytest.param('x = """\nsome "cuda" text\n"""\ndevice = "cuda"\n', 'x = """\nsome "cuda" text\n"""\ndevice = "mlu"\n', id="after-multi-line"),
    pytest.param("x = '''it's'''\ndevice = \"cuda\"\n", "x = '''it's'''\ndevice = \"mlu\"\n", id="after-multi-line-literal"),
    pytest.param('x = [[1, 2], ["cuda"]]\n', 'x = [[1, 2], ["mlu"]]\n', id="nested-arrays"),
    pytest.param('when = 1979-05-27T07:32:00Z\ndevice = "cuda"\n', 'when = 1979-05-27T07:32:00Z\ndevice = "mlu"\n', id="datetime"),
])
def test_converts(before, after):
    assert_converts(before, after, "conf/train.toml")


@pytest.mark.parametrize("text", [
    pytest.param('# device = "cuda"\nx = 1\n', id="comment"),
    pytest.param('[tool.cuda]\nenabled = true\n', id="table-name"),
    pytest.param('["cuda"]\nx = 1\n', id="quoted-table-name"),
    pytest.param('cuda = "cpu"\nnccl = 1\n', id="bare-keys"),
    pytest.param('x = """cuda"""\n', id="multi-line-basic"),
    pytest.param("x = '''cuda'''\n", id="multi-line-literal"),
    pytest.param('x = "cu\\u0064a"\n', id="escaped"),
    pytest.param('home = "/usr/local/cuda"\n', id="path"),
    pytest.param('desc = "runs on cuda"\n', id="prose"),
    pytest.param('t = { cuda = 1 }\n', id="inline-key"),
])
def test_must_not_change(text):
    assert_unchanged(text, "conf/train.toml")


def test_crlf_kept():
    before = '[a]\r\ndevice = "cuda"\r\n'
    assert convert(before, "a.toml").text == '[a]\r\ndevice = "mlu"\r\n'


# gpu2mlu's own settings name CUDA things on purpose: [tool.gpu2mlu] is never converted and never
# reported on, however the TOML spells it, while the tables around it convert as usual.
_SETTINGS_SPELLINGS = {
    "table-headers": '[tool.gpu2mlu]\ntarget = "2.4"\n[tool.gpu2mlu.env]\n{env}',
    "dotted-keys": "[tool.gpu2mlu]\n" + "{env_dotted}",
    "top-level-dotted-keys": "{env_top}",
    "quoted-keys": '[tool."gpu2mlu".\'env\']\n{env}',
    "inline-table": "[tool.gpu2mlu]\nenv = {{ {env_inline} }}\n",
    "nested-inline-tables": "[tool]\ngpu2mlu = {{ env = {{ {env_inline} }} }}\n",
}
_ENV = {  # a rename, a rename with a finding, a name without MLU equivalent, an NCCL tuning knob
    "CUDA_VISIBLE_DEVICES": "MLU_VISIBLE_DEVICES", "CUDA_HOME": "NEUWARE_HOME",
    "CUDA_LAUNCH_BLOCKING": "MYTEAM_MLU_BLOCKING", "NCCL_DEBUG": "CNCL_LOG_LEVEL",
}


def _settings(spelling: str) -> str:
    return _SETTINGS_SPELLINGS[spelling].format(
        env="".join(f'{k} = "{v}"\n' for k, v in _ENV.items()),
        env_dotted="".join(f'env.{k} = "{v}"\n' for k, v in _ENV.items()),
        env_top="".join(f'tool.gpu2mlu.env.{k} = "{v}"\n' for k, v in _ENV.items()),
        env_inline=", ".join(f'{k} = "{v}"' for k, v in _ENV.items()),
    )


@pytest.mark.parametrize("rel", ["pyproject.toml", "conf/train.toml"])
@pytest.mark.parametrize("spelling", sorted(_SETTINGS_SPELLINGS))
def test_own_settings_are_never_converted_nor_reported(spelling, rel):
    settings = _settings(spelling)
    before = 'device = "cuda:0"\nenv = { CUDA_VISIBLE_DEVICES = "0" }\n'  # root keys come first
    after = '[train]\ndevice = "cuda:0"\n'
    result = convert(before + settings + after, rel)
    assert result.text == ('device = "mlu:0"\nenv = { MLU_VISIBLE_DEVICES = "0" }\n'
                           + settings + '[train]\ndevice = "mlu:0"\n')
    assert not result.findings


def test_own_settings_get_no_dependency_findings():
    text = ('[tool.gpu2mlu]\nenv = { CUDA_HOME = "NEUWARE_HOME" }\n'
            'index = "https://download.pytorch.org/whl/cu118"\n'
            '[tool.uv]\nindex-url = "https://download.pytorch.org/whl/cu118"\n')
    assert [(f.id, f.line) for f in convert(text, "pyproject.toml").findings] == [("GM312", 5)]
