"""`gpu2mlu run`: unconverted CUDA scripts run on the emulated MLU, mapped from the rule tables.

Each subprocess test runs one script that checks many mappings itself (it asserts its tensors are
on the MLU and exits 0) and then reads the "run-call" events the runner collected.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from gpu2mlu.rules import load_ruleset, load_table
from gpu2mlu.verify import mapping

from conftest import require_torch


def run(tmp: Path, code: str, *, cwd: Path | None = None, env: dict | None = None,
        mode: str = "run", devices: int = 2, files: dict | None = None):
    """Run `code` as cwd/main.py through the real runner; (exit code, events)."""
    from gpu2mlu.verify import runner

    cwd = cwd or tmp
    cwd.mkdir(parents=True, exist_ok=True)
    (cwd / "main.py").write_text(textwrap.dedent(code), encoding="utf-8")
    for name, text in (files or {}).items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    log = tmp / "log.jsonl"
    base = dict(os.environ, **(env or {}))
    result = runner.run(runner.VerifyConfig((sys.executable, "main.py"), mode=mode, devices=devices,
                                            cwd=cwd, env=base, log_file=log))
    events = [json.loads(line) for line in log.read_text().splitlines()]
    return result.exit_code, events


def calls(events) -> dict[tuple, dict]:
    return {(e["status"], e["api"], e["where"]): e for e in events if e["kind"] == "run-call"}


def problems(events) -> list:
    return [e for e in events if e["kind"] in ("uncaught-exception", "residual-cuda")]


# ---------------------------------------------------------------- the table


def test_mapping_table_comes_from_the_rule_tables():
    table = mapping.build("2.4")
    names = table["names"]
    assert names["torch.cuda.is_available"] == {
        "status": "mapped", "to": "torch.mlu.is_available", "rule": "torch-cuda-api", "finding": None}
    assert names["torch.cuda.get_device_capability"]["status"] == "flagged"
    assert names["torch.cuda.jiterator"] == {
        "status": "unsupported", "to": None, "rule": "torch-cuda-api", "finding": "GM101"}
    assert names["torch.cuda.amp.autocast"]["call"] == {
        "insert": "mlu", "positional_to_keywords": ["enabled", "dtype", "cache_enabled"]}
    assert names["torch.cuda.amp.custom_fwd"]["call"] == {"add_keyword": ["device_type", "mlu"]}
    assert names["torch.cuda.nccl"]["to"] == "torch.mlu.cncl" and names["torch.cuda.nccl"]["module"]
    assert names["torch.Tensor.is_cuda"]["to"] == "torch.Tensor.is_mlu"
    assert table["devices"] == {"cuda": "mlu"} and table["backends"] == {"nccl": "cncl"}
    assert table["exact"]["cuda_time_total"] == "mlu_time_total"
    assert table["env"]["renamed"]["CUDA_VISIBLE_DEVICES"] == "MLU_VISIBLE_DEVICES"
    assert table["env"]["unsupported"]["CUDA_LAUNCH_BLOCKING"] == "GM401"
    assert table["env"]["different"] == {"TORCH_CUDA_ARCH_LIST": "TORCH_BANG_ARCH_LIST"}
    assert mapping.build("2.1")["names"]["torch.cuda.amp.autocast"]["to"] == "torch.mlu.amp.autocast"
    # every rule a run can log is a documented rule family
    families = set(load_table("families.toml"))
    assert {row["rule"] for row in table["device_args"]} <= families
    assert {row["rule"] for row in names.values()} <= families


def test_identity_list_joins_cuda_only_packages_runtime_table_and_project():
    absent = mapping.build("2.4", cuda_absent=["mykernels"])["identity"]["cuda_absent"]
    assert set(load_ruleset("2.4").packages) <= set(absent)
    assert {"deepspeed", "mmcv", "mykernels"} <= set(absent)


def test_factory_list_covers_every_torch_function_taking_a_device():
    torch = require_torch()
    listed = {n for row in mapping.build("2.4")["device_args"] for n in row["names"]}
    missing = set()
    for schema in torch._C._jit_get_all_schemas():
        name = schema.name.removeprefix("aten::")
        if name == schema.name or name.startswith("_"):
            continue
        if not any(a.name == "device" and "Device" in str(a.type) for a in schema.arguments):
            continue
        if callable(getattr(torch, name, None)) and f"torch.{name}" not in listed:
            missing.add(f"torch.{name}")
        if hasattr(torch.Tensor, name) and f"torch.Tensor.{name}" not in listed:
            missing.add(f"torch.Tensor.{name}")
    assert not missing, f"add to gpu2mlu/rules/data/runtime.toml [[device_args]]: {sorted(missing)}"


def test_project_settings_name_packages_that_see_cuda_absent(tmp_path):
    from gpu2mlu import settings

    (tmp_path / "pyproject.toml").write_text('[tool.gpu2mlu.run]\ncuda-absent = ["kern", "a.b"]\n')
    assert mapping.project_cuda_absent(tmp_path) == ("kern", "a.b")
    (tmp_path / "pyproject.toml").write_text('[tool.gpu2mlu.run]\ncuda-absent = ["not a name"]\n')
    with pytest.raises(settings.SettingsError, match="cuda-absent"):
        mapping.project_cuda_absent(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.gpu2mlu.run]\nhide = ["x"]\n')
    with pytest.raises(settings.SettingsError, match="unknown keys hide"):
        mapping.project_cuda_absent(tmp_path)


# ---------------------------------------------------------------- a run


SCRIPT = """\
    import io
    import torch as th
    import torch.cuda as tc
    import torch.nn as nn
    from torch.cuda import amp
    from torch.cuda.amp import autocast

    assert th.cuda.is_available() and tc.device_count() == 2
    dev = th.device("cuda" if th.cuda.is_available() else "cpu")
    assert dev.type == "mlu" and isinstance(dev, th.device)
    assert th.device("cuda", 1) == th.device("mlu:1") and th.device(type="cuda").type == "mlu"
    x = th.zeros(3, device="cuda")
    y = th.ones(2).cuda()
    m = nn.Linear(3, 2).cuda()
    z = th.randn(4, 3).to(dev)
    assert x.device.type == y.device.type == z.device.type == "mlu"
    assert next(m.parameters()).device.type == "mlu" and z.is_cuda
    assert x.new_zeros(2, device="cuda:1").device == th.device("mlu", 1)
    with autocast():
        assert m(z).dtype == th.float16
    with th.autocast("cuda", dtype=th.bfloat16):
        assert th.is_autocast_enabled() and m(z).dtype == th.bfloat16
    assert th.get_autocast_gpu_dtype() == th.float16
    scaler = amp.GradScaler()
    assert scaler._device == "mlu" and th.amp.GradScaler()._device == "mlu"
    tc.set_device("cuda:1")
    assert th.cuda.current_device() == 1
    th.cuda.synchronize()
    th.cuda.nvtx.range_push("step")
    th.cuda.nvtx.range_pop()
    th.backends.cudnn.allow_tf32 = False
    th.backends.cuda.matmul.allow_tf32 = True
    assert th.backends.cnnl.allow_tf32 is False and th.backends.mlu.matmul.allow_tf32 is True
    g = th.Generator(device="cuda")
    assert g.device.type == "mlu" and isinstance(g, th.Generator)
    try:
        th.cuda.jiterator  # no torch_mlu equivalent: the real module, logged
    except AttributeError:
        pass

    # a checkpoint written on a CUDA machine: storages tagged "cuda:0"
    import torch.serialization as ser
    tag = (1, lambda s: "cuda:0" if s.device.type == "cpu" else None, lambda s, loc: None)
    ser._package_registry.insert(0, tag)
    buf = io.BytesIO()
    th.save({"w": th.arange(4.0)}, buf)
    ser._package_registry.remove(tag)
    assert b"cuda:0" in buf.getvalue()
    buf.seek(0)
    w = th.load(buf)["w"]
    assert w.device.type == "mlu" and w.tolist() == [0.0, 1.0, 2.0, 3.0]
    buf.seek(0)
    assert th.load(buf, map_location="cuda:1")["w"].device == th.device("mlu", 1)
    buf.seek(0)
    assert th.load(buf, map_location={"cuda:0": "cpu"})["w"].device.type == "cpu"

    # torch's internals are not mapped: they see the real (absent) CUDA, as under verify
    assert th.cuda.amp.common.amp_definitely_not_available()
    loader = th.utils.data.DataLoader(th.arange(8.0), batch_size=4, pin_memory=True)
    batch = next(iter(loader))
    assert batch.device.type == "cpu" and batch.tolist() == [0.0, 1.0, 2.0, 3.0]
    open("pinned.txt", "w").write(str(batch.is_pinned()))

    with th.autograd.profiler.profile(use_cuda=True) as prof:
        (z @ z.T).sum()
    assert prof.use_device == "mlu"
    with th.device("cuda"):  # torch's default-device mode still recognises the factories
        assert th.ones(1).device.type == "mlu"
    from unittest import mock
    with mock.patch("torch.cuda.is_available", return_value=False):
        assert not th.cuda.is_available()
    assert th.cuda.is_available()  # restored: mapped again
"""


def test_run_maps_an_unconverted_script(tmp_path):
    require_torch()
    code, events = run(tmp_path, SCRIPT)
    assert code == 0 and not problems(events), problems(events)
    found = calls(events)
    expect = [
        ("mapped", "torch.cuda.is_available", "main.py:8", "torch.mlu.is_available", "torch-cuda-api"),
        ("mapped", "torch.cuda.device_count", "main.py:8", "torch.mlu.device_count", "torch-cuda-api"),
        ("mapped", "torch.device('cuda')", "main.py:9", "torch.device('mlu')", "device-literal"),
        ("mapped", "torch.zeros(device='cuda')", "main.py:12", "torch.zeros(device='mlu')",
         "device-literal"),
        ("mapped", "Tensor.cuda", "main.py:13", "Tensor.mlu", "tensor-cuda-method"),
        ("mapped", "Module.cuda", "main.py:14", "Module.mlu", "tensor-cuda-method"),
        ("mapped", "Tensor.is_cuda", "main.py:17", "Tensor.is_mlu", "tensor-cuda-method"),
        ("mapped", "Tensor.new_zeros(device='cuda')", "main.py:18", "Tensor.new_zeros(device='mlu')",
         "device-literal"),
        ("mapped", "torch.cuda.amp.autocast", "main.py:6", "torch.amp.autocast('mlu', ...)", "amp"),
        ("mapped", "torch.autocast('cuda')", "main.py:21", "torch.autocast('mlu')", "amp"),
        ("mapped", "torch.is_autocast_enabled", "main.py:22", "torch.is_autocast_enabled('mlu', ...)",
         "amp"),
        ("mapped", "torch.get_autocast_gpu_dtype", "main.py:23", "torch.get_autocast_dtype('mlu', ...)",
         "amp"),
        ("mapped", "torch.cuda.amp.GradScaler", "main.py:24", "torch.amp.GradScaler('mlu', ...)", "amp"),
        ("mapped", "torch.amp.GradScaler()", "main.py:25", "torch.amp.GradScaler('mlu', ...)", "amp"),
        ("mapped", "torch.cuda.set_device", "main.py:26", "torch.mlu.set_device", "torch-cuda-api"),
        ("mapped", "torch.cuda.nvtx.range_push", "main.py:29", "torch.mlu.cnpx.range_push",
         "torch-cuda-api"),
        ("mapped", "torch.backends.cudnn.allow_tf32", "main.py:31", "torch.backends.cnnl.allow_tf32",
         "backends"),
        ("mapped", "torch.backends.cuda.matmul.allow_tf32", "main.py:32",
         "torch.backends.mlu.matmul.allow_tf32", "backends"),
        ("mapped", "torch.Generator(device='cuda')", "main.py:34", "torch.Generator(device='mlu')",
         "device-literal"),
        ("mapped", "checkpoint location 'cuda'", "main.py:50", "checkpoint location 'mlu'",
         "device-literal"),
        ("mapped", "torch.load(map_location='cuda')", "main.py:53", "torch.load(map_location='mlu')",
         "device-literal"),
    ]
    for status, api, where, to, rule in expect:
        event = found.get((status, api, where))
        assert event is not None, (api, where, sorted(found))
        assert (event["to"], event["rule"], event["package"], event["finding"]) == (to, rule, None, None)
        assert event["file"] == str(tmp_path / "main.py") and event["line"] == int(where.split(":")[1])
    assert found[("mapped", "torch.autograd.profiler.profile(use_cuda=True)", "main.py:64")]["to"] == \
        "torch.autograd.profiler.profile(use_device='mlu')"
    jit = found[("unsupported", "torch.cuda.jiterator", "main.py:37")]
    assert (jit["finding"], jit["to"]) == ("GM101", None)
    assert found[("unsupported", "torch.cuda.amp.common", "main.py:58")]["finding"] == "GM101"
    # the counts: one per event id, written at exit
    counts = [e["counts"] for e in events if e["kind"] == "run-call-counts"]
    assert len(counts) == 1 and set(counts[0]) == {str(e["id"]) for e in found.values()}
    # DataLoader pinning (torch-internal) behaves as for the converted script under verify
    converted = ("import torch, torch_mlu\n"
                 "loader = torch.utils.data.DataLoader(torch.arange(8.0), batch_size=4, pin_memory=True)\n"
                 "open('pinned.txt', 'w').write(str(next(iter(loader)).is_pinned()))\n")
    code, _ = run(tmp_path / "verify", converted, mode="verify")
    assert code == 0
    assert (tmp_path / "pinned.txt").read_text() == (tmp_path / "verify" / "pinned.txt").read_text()


def test_verify_mode_is_unchanged(tmp_path):
    require_torch()
    code, events = run(tmp_path, "import torch\nx = torch.zeros(2, device='cuda')\n", mode="verify")
    assert code != 0
    assert [(e["kind"], e["where"]) for e in problems(events)] == [("residual-cuda", "main.py:2")]
    assert not [e for e in events if e["kind"].startswith("run-call")]


DEPENDENCY = {
    "deps/thatpkg/__init__.py": """\
        import torch


        def make(n, device="cuda"):
            return torch.zeros(n, device=device)


        def autocast(enabled, device="cuda"):
            return torch.autocast(device, enabled=enabled)
        """,
    "deps/hidepkg/__init__.py": """\
        import torch

        ANSWERS = (torch.cuda.is_available(), torch.cuda.device_count())
        """,
    "proj/pyproject.toml": """\
        [tool.gpu2mlu.run]
        cuda-absent = ["hidepkg"]
        """,
}

DEPENDENT_SCRIPT = """\
    import os
    import sys
    import torch
    import thatpkg
    import hidepkg

    x = thatpkg.make(3)
    with thatpkg.autocast(True):
        y = torch.ones(2, 2, device="cuda") @ torch.ones(2, 2, device="cuda")
    assert x.device.type == "mlu" and y.dtype == torch.float16, (x.device, y.dtype)
    assert hidepkg.ANSWERS == (False, 0), hidepkg.ANSWERS
    # CUDA_VISIBLE_DEVICES=0,1 of the command's environment narrows the 3 emulated MLUs to 2
    assert os.environ["MLU_VISIBLE_DEVICES"] == "0,1" and torch.cuda.device_count() == 2
    sys.stdout.flush()
    os._exit(0)  # the call counts are written on this way out too
"""


def test_dependencies_identity_policy_and_environment(tmp_path):
    require_torch()
    env = {"PYTHONPATH": str(tmp_path / "deps"), "CUDA_VISIBLE_DEVICES": "0,1",
           "CUDA_LAUNCH_BLOCKING": "1", "PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True"}
    code, events = run(tmp_path, DEPENDENT_SCRIPT, cwd=tmp_path / "proj", env=env, devices=3,
                       files=DEPENDENCY)
    assert code == 0 and not problems(events), problems(events)
    found = calls(events)
    dep = tmp_path / "deps" / "thatpkg" / "__init__.py"
    zeros = found[("mapped", "torch.zeros(device='cuda')", f"{dep}:5")]
    assert (zeros["package"], zeros["file"], zeros["line"]) == ("thatpkg", str(dep), 5)
    assert found[("mapped", "torch.autocast('cuda')", f"{dep}:9")]["package"] == "thatpkg"
    assert found[("mapped", "torch.ones(device='cuda')", "main.py:9")]["package"] is None
    hidden = tmp_path / "deps" / "hidepkg" / "__init__.py"
    for api in ("torch.cuda.is_available", "torch.cuda.device_count"):
        event = found[("hidden", api, f"{hidden}:3")]
        assert (event["package"], event["to"]) == ("hidepkg", None)
    env_events = {k[1]: v for k, v in found.items() if k[1].startswith("env ")}
    assert env_events["env CUDA_VISIBLE_DEVICES"]["status"] == "env"
    assert env_events["env CUDA_VISIBLE_DEVICES"]["to"] == "MLU_VISIBLE_DEVICES"
    assert env_events["env PYTORCH_CUDA_ALLOC_CONF"]["to"] == "PYTORCH_MLU_ALLOC_CONF"
    launch = env_events["env CUDA_LAUNCH_BLOCKING"]
    assert (launch["status"], launch["finding"], launch["where"], launch["rule"]) == (
        "unsupported", "GM401", "<environment>", "env-var")
    assert [e for e in events if e["kind"] == "run-call-counts"], "os._exit skipped the counts"


DDP_SCRIPT = """\
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
    import torch.nn as nn
    from torch.nn.parallel import DistributedDataParallel as DDP


    def worker(rank, world, port):
        dist.init_process_group("nccl", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                world_size=world)
        if dist.get_backend() == "nccl":  # the branch the converted `== 'cncl'` takes
            torch.cuda.set_device(rank)
        model = DDP(nn.Linear(4, 2).cuda(), device_ids=[rank], output_device=rank)
        model(torch.randn(8, 4, device=f"cuda:{rank}")).sum().backward()
        t = torch.ones(1, device="cuda") * rank
        dist.all_reduce(t)
        assert t.item() == 1.0 and next(model.parameters()).device == torch.device("mlu", rank)
        assert dist.is_nccl_available()
        dist.destroy_process_group()


    if __name__ == "__main__":
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        mp.spawn(worker, args=(2, port), nprocs=2)
"""


def test_ddp_with_nccl_runs_on_two_mlus(tmp_path):
    require_torch()
    code, events = run(tmp_path, DDP_SCRIPT)
    assert code == 0 and not problems(events), problems(events)
    per_rank: dict[int, set] = {}
    for e in events:
        if e["kind"] == "run-call":
            per_rank.setdefault(e["pid"], set()).add((e["api"], e["to"], e["where"]))
    ranks = [apis for apis in per_rank.values()
             if ("torch.distributed.init_process_group(backend='nccl')",
                 "torch.distributed.init_process_group(backend='cncl')", "main.py:9") in apis]
    assert len(ranks) == 2, per_rank
    for apis in ranks:
        assert {api for api, _, _ in apis} >= {
            "torch.distributed.get_backend()", "torch.cuda.set_device", "Module.cuda",
            "torch.randn(device='cuda')", "torch.distributed.is_nccl_available"}
