"""The write set: a run writes only its output folder (and, with --in-place, the files it
converts); an output that is, holds, or sits inside the input and holds input files is refused."""
import pytest

from gpu2mlu.cli import main
from tests.safety.helpers import TRAIN, digest, make_tree, staging_left


@pytest.fixture
def project(tmp_path):
    return make_tree(tmp_path / "p", {"data/labels.csv": "x\n", "src/t.py": "import torch\n",
                                      "train.py": TRAIN})


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_output_inside_the_input_holding_input_files_is_refused(project, capsys, force):
    # issue 9, case 1: `-o p/data --force` deleted data/labels.csv from the input
    before = digest(project)
    assert main(["-i", str(project), "-o", str(project / "data"), *force]) == 2
    err = capsys.readouterr().err
    assert "inside the input" in err and "labels.csv" in err
    assert digest(project) == before
    assert staging_left(project) == []


@pytest.mark.parametrize("out", [".", "..", "../.."])
@pytest.mark.parametrize("force", [[], ["--force"]])
def test_output_that_is_or_holds_the_input_is_refused(project, capsys, out, force):
    before = digest(project)
    assert main(["-i", str(project / "src"), "-o", str(project / "src" / out), *force]) == 2
    assert "would contain the input" in capsys.readouterr().err
    assert digest(project) == before


def test_single_file_output_holding_it_is_refused(project, capsys):
    before = digest(project)
    assert main(["-i", str(project / "train.py"), "-o", str(project), "--force"]) == 2
    assert digest(project) == before


def test_new_or_empty_output_inside_the_input_is_fine(project):
    before = digest(project)
    assert main(["-i", str(project), "-o", str(project / "out"), "-q"]) == 0
    assert (project / "out" / "train.py").read_text().startswith("import torch\nimport torch_mlu\n")
    # a second run replaces its own earlier output and never walks it as input
    assert main(["-i", str(project), "-o", str(project / "out"), "-q"]) == 0
    assert not (project / "out" / "out").exists()
    assert {k: v for k, v in digest(project).items() if not k.startswith("out")} == before
    assert staging_left(project) == []


def test_force_replaces_a_foreign_folder_outside_the_input(project, tmp_path, capsys):
    other = make_tree(tmp_path / "other", {"notes.txt": "mine\n"})
    assert main(["-i", str(project), "-o", str(other), "-q"]) == 2
    assert "--force" in capsys.readouterr().err
    assert (other / "notes.txt").exists()
    assert main(["-i", str(project), "-o", str(other), "-q", "--force"]) == 0
    assert not (other / "notes.txt").exists() and (other / "train.py").exists()


def test_output_reached_through_a_symlink_into_the_input_is_refused(project, tmp_path, capsys):
    (tmp_path / "alias").symlink_to(project / "data")
    before = digest(project)
    assert main(["-i", str(project), "-o", str(tmp_path / "alias"), "--force"]) == 2
    assert digest(project) == before
