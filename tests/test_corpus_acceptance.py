"""The real-project acceptance corpus: pinned PyPI packages with CUDA-aware training code.

Each package of ``corpus.ACCEPTANCE`` is converted; every changed line, added import, finding and
CUDA-word line that must stay is held to tests/corpus_expectations/NAME.toml (reviewed by hand;
``known_wrong`` entries there are converter bugs the test documents). Three packages then train a
few steps with the CONVERTED code on an emulated MLU (``gpu2mlu verify``), with no hand edit, and
their losses must equal a CPU run of the ORIGINAL package (bitwise, unless TRAINED says why not).

Downloads are cached as for the timm round trip (tests/corpus.py). A failed fetch fails; with
GPU2MLU_OFFLINE=1 a package missing from the cache skips.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DRIVERS = HERE / "corpus_drivers"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


accept = _load("gpu2mlu_test_corpus_accept", HERE / "corpus_accept.py")
corpus = accept.corpus

# Packages that train under verify: driver file, steps printed, the tolerance on the losses
# against the CPU run of the original (0: bitwise), the reason when it is not 0, and the steps it
# applies to (every other step must be bitwise).
TRAINED = {
    "x-transformers": ("x_transformers_train.py", 3, 0.0, "", ()),
    # Measured: steps 0-2 differ by 1 float32 ulp (relative 9e-8), steps 3-5 (RvT) are bitwise.
    "vit-pytorch": ("vit_pytorch_train.py", 6, 1e-6,
                    "SimpleViT's Attend picks its SDPA switches by device: all kernels on CPU, "
                    "but on the accelerator flash only for compute capability 8.0 and otherwise "
                    "Config(enable_flash=False, enable_math=True, enable_mem_efficient=True); "
                    "the emulated MLU590 reports 5.9, so the converted model runs the math path "
                    "(as a real MLU does: its fused kernels take only float16/bfloat16) while the "
                    "original on CPU runs CPU's flash kernel, which rounds differently. The "
                    "emulator computes what CPU computes with flash off (tests/verify/"
                    "test_sdpa.py); a CPU run of the original with that Config is bitwise equal",
                    range(0, 3)),
    "denoising-diffusion-pytorch": ("denoising_diffusion_pytorch_train.py", 6, 0.0, "", ()),
}
# CPU fallbacks verify reports for a package, each with why it is expected; any other problem
# fails. None is expected now: isneginf inside scaled_dot_product_attention's math path was
# reported until _safe_softmax ran whole on the CPU (torch_mlu's 2.4 list has SDPA as one kernel).
EXPECTED_FALLBACKS: dict[str, dict[str, str]] = {}
PROBLEM = re.compile(r"^\s+([a-z-]+): (\S+) at ", re.M)
STEP = re.compile(r"^step (\d+) loss (\S+)$", re.M)
# The runtime deps of the trained packages (the `corpus` extra of pyproject.toml).
CORPUS_DEPS = ("einops", "einx", "loguru", "packaging", "torch_einops_utils", "tqdm")


def _tree(name: str) -> Path:
    offline = os.environ.get("GPU2MLU_OFFLINE") == "1"
    try:
        return corpus.corpus_tree(name, fetch=not offline)
    except corpus.CorpusError as exc:
        if offline:
            pytest.skip(f"GPU2MLU_OFFLINE=1 and {name} is not cached: {exc}")
        pytest.fail(f"could not fetch {name} ({exc}).\nThis test needs PyPI; set "
                    "GPU2MLU_OFFLINE=1 to skip it offline.", pytrace=False)


@pytest.fixture(scope="module", params=sorted(corpus.ACCEPTANCE))
def converted(request, tmp_path_factory):
    name = request.param
    _tree(name)
    out = tmp_path_factory.mktemp(name) / "out"
    src, out, report = accept.convert(name, out, fetch=False)
    return name, src, out, report


def test_conversion_matches_the_reviewed_expectation(converted):
    name, src, out, report = converted
    assert accept.expectation_path(name).is_file(), (
        f"no expectation for {name}: run `python tests/corpus_accept.py refresh {name}` and "
        "review every line")
    problems = accept.check(accept.load(name), accept.observe(src, out, report))
    assert not problems, (
        f"{name}: the conversion differs from tests/corpus_expectations/{name}.toml "
        "(review; refresh with tests/corpus_accept.py):\n  " + "\n  ".join(problems))


def test_expectation_names_the_pinned_version(converted):
    name = converted[0]
    expect = accept.load(name)
    assert (expect["package"], expect["version"]) == (name, corpus.ACCEPTANCE[name])


def test_converting_the_output_again_changes_nothing(converted, tmp_path):
    name, src, out, _ = converted
    import shutil

    reports = {p.name for p in out.iterdir() if p.is_file() and not (src / p.name).exists()}
    again_in = tmp_path / "in"
    shutil.copytree(out, again_in, ignore=lambda d, names: reports if Path(d) == out else ())
    _, again_out, report = accept.convert_dir(again_in, tmp_path / "out")
    assert report["changes"] == [], f"{name}: a second conversion changed {report['changes'][:3]}"


# ---------------------------------------------------------------- training under verify

def _require_runtime():
    required = os.environ.get("GPU2MLU_REQUIRE_TORCH") == "1"
    for module in ("torch", *CORPUS_DEPS):
        if required:
            __import__(module)  # CI installs the `corpus` extra: a missing one fails loudly
        else:
            pytest.importorskip(module)


def _env() -> dict:
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(REPO) + (os.pathsep + path if path else "")}


def _losses(stdout: str) -> list[tuple[int, float]]:
    return [(int(step), float.fromhex(loss)) for step, loss in STEP.findall(stdout)]


@pytest.mark.parametrize("name", sorted(TRAINED))
def test_converted_package_trains_under_verify_like_the_original_on_cpu(name, tmp_path_factory):
    _require_runtime()
    driver, steps, tolerance, why, loose = TRAINED[name]
    src = _tree(name)
    out = tmp_path_factory.mktemp(f"{name}-train") / "out"
    accept.convert(name, out, fetch=False)
    script = str(DRIVERS / driver)
    # Both runs at once: the reference on CPU with the original tree, the converted tree on the
    # emulated MLU. cwd is a scratch folder, so nothing is imported from the repository by chance.
    cwd = tmp_path_factory.mktemp(f"{name}-cwd")
    cpu = subprocess.Popen([sys.executable, script, str(src), "cpu"], cwd=cwd, env=_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    mlu = subprocess.Popen([sys.executable, "-m", "gpu2mlu.verify", "--", sys.executable, script,
                            str(out), "mlu"], cwd=cwd, env=_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cpu_out, cpu_err = cpu.communicate(timeout=600)
    mlu_out, mlu_err = mlu.communicate(timeout=600)
    # The original tree, unconverted, with CUDA mapped at run time: the same numbers as the
    # converted tree under verify, bit for bit, and its CUDA calls attributed to the package.
    run = subprocess.run([sys.executable, "-m", "gpu2mlu", "run", "--", sys.executable, script,
                          str(src), "cuda"], cwd=cwd, env=_env(), capture_output=True, text=True,
                         timeout=600)

    assert cpu.returncode == 0, f"CPU run of the original failed:\n{cpu_err[-4000:]}"
    assert mlu.returncode == 0, f"the converted {name} failed under verify:\n{mlu_err[-4000:]}"
    expected_fallbacks = {("cpu-fallback", op) for op in EXPECTED_FALLBACKS.get(name, {})}
    if expected_fallbacks:
        summary = mlu_err[mlu_err.rindex("gpu2mlu verify:"):]
        found = set(PROBLEM.findall(summary.split("problems (", 1)[-1]))
        assert found == expected_fallbacks, summary
    else:
        assert "problems: none" in mlu_err, mlu_err[-4000:]
    assert "devices used: mlu:0" in mlu_err, mlu_err[-4000:]

    assert run.returncode == 0, f"the original {name} failed under gpu2mlu run:\n{run.stderr[-4000:]}"
    assert _losses(run.stdout) == _losses(mlu_out), f"{name}: run (original) and verify differ"
    package = name.replace("-", "_")
    assert f"[{package}]" in run.stderr and "dependencies: " + package in run.stderr, run.stderr[-4000:]

    expected, got = _losses(cpu_out), _losses(mlu_out)
    assert [s for s, _ in expected] == list(range(steps)), cpu_out
    assert [s for s, _ in got] == list(range(steps)), mlu_out
    assert bool(tolerance) == bool(why) == bool(loose), "a tolerance needs its reason and steps"
    exact = [(s, a) for s, a in expected if s not in loose]
    assert [(s, b) for s, b in got if s not in loose] == exact, (
        f"{name}: losses differ from the CPU run (bitwise)")
    for (step, a), (_, b) in zip(expected, got):
        if step in loose:
            assert b == pytest.approx(a, rel=tolerance, abs=0), (
                f"{name}: step {step} loss {b!r} vs CPU {a!r}, beyond {tolerance} ({why})")
