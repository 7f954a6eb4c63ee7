"""Names the project defines itself (`self.is_cuda = ...`, `def cuda(self)`) are the project's,
not torch's: their uses stay unless the receiver is known to be a torch object."""
import pytest

from tests.python.helpers import assert_converts, assert_unchanged, dedent, finding_ids

H = "import torch\nimport torch_mlu\nimport torch.nn as nn\n"


@pytest.mark.parametrize("src", [
    pytest.param("""
        class Loader:
            def __init__(self, device):
                self.is_cuda = device.type == 'mlu'

            def __iter__(self):
                if self.is_cuda:
                    yield 1
    """, id="attribute-assigned-and-read-on-self"),
    pytest.param("""
        class Batch:
            @property
            def is_cuda(self):
                return self.flag

        ok = Batch().is_cuda
    """, id="own-property-on-an-instance"),
    pytest.param("""
        class Wrapper:
            def cuda(self):
                return self

        w = Wrapper()
        w = w.cuda()
    """, id="own-method-through-a-variable"),
    pytest.param("""
        class Net(nn.Module):
            def cuda(self, device=None):
                return self

        net = Net()
        net.cuda()
    """, id="module-subclass-overriding-cuda"),
    pytest.param("""
        class Base:
            is_cuda = False

        class Child(Base):
            def go(self):
                return self.is_cuda
    """, id="inherited-class-attribute"),
    pytest.param("state.is_cuda = True", id="assignment-anywhere"),
    pytest.param("del state.is_cuda", id="deletion"),
])
def test_own_names_stay(src):
    assert_unchanged(H + dedent(src))


@pytest.mark.parametrize("before, after", [
    pytest.param("""
        class Wrapper:
            def __init__(self):
                self.net = nn.Linear(2, 2)

            def cuda(self):
                self.net = self.net.cuda()
                return self
    """, """
        class Wrapper:
            def __init__(self):
                self.net = nn.Linear(2, 2)

            def cuda(self):
                self.net = self.net.mlu()
                return self
    """, id="torch-attribute-of-self"),
    pytest.param("""
        class Net(nn.Module):
            def cuda(self, device=None):
                return super().cuda(device)
    """, """
        class Net(nn.Module):
            def cuda(self, device=None):
                return super().mlu(device)
    """, id="super-of-a-module"),
    pytest.param("""
        class Wrapper:
            def cuda(self):
                return self

        class Plain(nn.Module):
            def go(self):
                return self.cuda()

        p = Plain().cuda()
        t = torch.zeros(3).cuda()
        u = torch.zeros(3)
        u = u.float().cuda()
        ok = torch.ones(1).is_cuda
    """, """
        class Wrapper:
            def cuda(self):
                return self

        class Plain(nn.Module):
            def go(self):
                return self.mlu()

        p = Plain().mlu()
        t = torch.zeros(3).mlu()
        u = torch.zeros(3)
        u = u.float().mlu()
        ok = torch.ones(1).is_mlu
    """, id="torch-receivers-next-to-an-own-method"),
    pytest.param("""
        class Wrapper:
            def cuda(self):
                return self

        def f(model: nn.Module, x: torch.Tensor):
            return model.cuda(), x.cuda()
    """, """
        class Wrapper:
            def cuda(self):
                return self

        def f(model: nn.Module, x: torch.Tensor):
            return model.mlu(), x.mlu()
    """, id="annotated-parameters"),
])
def test_torch_receivers_still_convert(before, after):
    assert_converts(H + dedent(before), H + dedent(after))


def test_unknown_receivers_of_an_own_name_stay_and_are_reported():
    src = H + dedent("""
        class Wrapper:
            def cuda(self):
                return self

        def f(y):
            return y.cuda()
    """)
    assert_unchanged(src)
    assert finding_ids(src) == [("GM216", 9)]


def test_own_name_finding_names_the_definition():
    src = H + "class A:\n    def cuda(self):\n        return self\n\ndef f(y):\n    return y.cuda()\n"
    from tests.python.helpers import convert
    (finding,) = convert(src).findings
    assert "y.cuda" in finding.message and "line 5" in finding.message


@pytest.mark.parametrize("src", [
    pytest.param("x = x.cuda()\nok = x.is_cuda", id="no-own-definition"),
    pytest.param("def f(y):\n    return y.cuda()", id="parameters-without-own-definition"),
])
def test_without_own_definitions_every_receiver_converts(src):
    result = finding_ids(H + src + "\n")
    assert result == []
    assert_converts(H + src + "\n", H + src.replace(".cuda()", ".mlu()").replace(".is_cuda", ".is_mlu") + "\n")
