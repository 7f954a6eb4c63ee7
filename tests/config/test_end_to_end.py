"""Config files through the command: output bytes and report.json rows."""
import json

from gpu2mlu.cli import main


def test_project_with_yaml_json_and_toml(tmp_path):
    project = tmp_path / "proj"
    files = {
        "configs/train.yaml": b"# cuda config\r\ndevice: cuda   # keep\r\ndist:\r\n  backend: 'nccl'\r\n",
        "configs/model.json": b'{\n  "device": "cuda:0",\n  "desc": "runs on cuda"\n}\n',
        "pyproject.toml": b'[project]\nname = "demo"\n\n[tool.demo]\ndevice = "cuda"\n',
        "docker-compose.yml": b"services:\n  t:\n    runtime: nvidia\n    environment:\n      - CUDA_VISIBLE_DEVICES=0\n",
        "chart/templates/job.yaml": b"{{- if .Values.gpu }}\nlimits:\n  nvidia.com/gpu: 1\n{{- end }}\n",
        "notes.yaml": b"title: plain\n",
    }
    for rel, data in files.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_bytes(data)
    out = tmp_path / "out"
    assert main(["-i", str(project), "-o", str(out)]) == 1  # 1: done, one file skipped

    assert (out / "configs/train.yaml").read_bytes() == b"# cuda config\r\ndevice: mlu   # keep\r\ndist:\r\n  backend: 'cncl'\r\n"
    assert (out / "configs/model.json").read_bytes() == b'{\n  "device": "mlu:0",\n  "desc": "runs on cuda"\n}\n'
    assert (out / "pyproject.toml").read_bytes() == b'[project]\nname = "demo"\n\n[tool.demo]\ndevice = "mlu"\n'
    assert (out / "docker-compose.yml").read_bytes() == files["docker-compose.yml"].replace(b"CUDA_", b"MLU_")
    for rel in ("chart/templates/job.yaml", "notes.yaml"):
        assert (out / rel).read_bytes() == files[rel]

    report = json.loads((out / "report.json").read_text())
    changes = [(c["file"], c["line"], c["rule"], c["after"]) for c in report["changes"]]
    assert ("configs/train.yaml", 2, "device-literal", "device: mlu   # keep") in changes
    assert ("configs/train.yaml", 4, "distributed", "backend: 'cncl'") in changes
    assert ("configs/model.json", 2, "device-literal", '"device": "mlu:0",') in changes
    assert ("pyproject.toml", 5, "device-literal", 'device = "mlu"') in changes
    assert ("docker-compose.yml", 5, "env-var", "- MLU_VISIBLE_DEVICES=0") in changes
    findings = [(f["file"], f["line"], f["id"]) for f in report["findings"]]
    assert ("docker-compose.yml", 3, "GM550") in findings
    statuses = {f["file"]: (f["kind"], f["status"]) for f in report["files"]}
    assert statuses["configs/train.yaml"] == ("config", "converted")
    assert statuses["notes.yaml"] == ("config", "unchanged")
    assert statuses["chart/templates/job.yaml"] == ("config", "skipped")
    skipped = {s["file"]: s["reason"] for s in report["skipped"]}
    assert skipped["chart/templates/job.yaml"].startswith("YAML does not parse (")
