"""Real third-party PyTorch code bases, pinned, for round-trip tests and benchmarks.

Each package's wheel is fetched from PyPI with ``pip download --no-deps`` and
unpacked, never installed: installing would pull a multi-GB CUDA torch, and
we only need the source text. Unpacked trees are cached in
``~/.cache/gpu2mlu/corpus/NAME-VERSION/`` (or ``$GPU2MLU_CORPUS_DIR``).

Library use::

    from corpus import corpus_tree
    root = corpus_tree("timm")      # pathlib.Path of the unpacked wheel

Command line (for CI prefetch)::

    python tests/corpus.py fetch [NAME ...]     # default: every package of both tables
    python tests/corpus.py path NAME
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# Pinned so results stay comparable across runs; bump deliberately.
CORPUS = {
    "timm": "1.0.31",
    "transformers": "5.24.0",
    "diffusers": "0.42.1",
    "ultralytics": "8.4.190",
}

# The real-project acceptance corpus (tests/test_corpus_acceptance.py): smaller packages with
# real CUDA-aware training code whose runtime deps are light (the `corpus` extra), converted and
# checked line by line against tests/corpus_expectations/NAME.toml; three of them also train a
# few steps under `gpu2mlu verify` (tests/corpus_drivers/).
ACCEPTANCE = {
    "x-transformers": "2.31.10",
    "vit-pytorch": "1.26.14",
    "denoising-diffusion-pytorch": "2.3.4",
    "lion-pytorch": "0.2.5",
}

PIP_TIMEOUT = 600  # seconds; a slow mirror is fine, a hung one is not


class CorpusError(RuntimeError):
    """A corpus package could not be fetched or unpacked."""


def cache_root() -> Path:
    """Folder holding the unpacked trees; $GPU2MLU_CORPUS_DIR overrides."""
    env = os.environ.get("GPU2MLU_CORPUS_DIR")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "gpu2mlu" / "corpus"


def corpus_tree(name: str, version: str | None = None, *, fetch: bool = True) -> Path:
    """Return the unpacked wheel of NAME (pinned version unless given).

    With fetch=False only the cache is consulted (CorpusError if absent), for
    offline use. Idempotent: a finished tree is returned as is. Safe under concurrency:
    each caller unpacks into its own temp dir and renames it into place, so a
    tree is either absent or complete.
    """
    version = version or pinned(name)
    final = cache_root() / f"{name}-{version}"
    if final.is_dir():
        return final
    if not fetch:
        raise CorpusError(f"{name}=={version} is not in the cache {final.parent}")
    final.parent.mkdir(parents=True, exist_ok=True)
    # The temp dir sits next to `final` so os.replace is a same-filesystem rename.
    work = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-{version}-", dir=final.parent))
    try:
        wheel = _download_wheel(name, version, work / "wheel")
        staged = work / "tree"
        _unpack(wheel, staged)
        try:
            os.replace(staged, final)
        except OSError:
            # Another process won the race; its tree is complete, use it.
            if not final.is_dir():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def pinned(name: str) -> str:
    """The pinned version of NAME, from CORPUS or ACCEPTANCE."""
    try:
        return {**CORPUS, **ACCEPTANCE}[name]
    except KeyError:
        known = ", ".join(sorted({**CORPUS, **ACCEPTANCE}))
        raise CorpusError(f"unknown corpus package {name!r} (known: {known})") from None


def _download_wheel(name: str, version: str, dest: Path) -> Path:
    cmd = [
        sys.executable, "-m", "pip", "download",
        "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
        "--quiet", "-d", str(dest), f"{name}=={version}",
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise CorpusError(f"pip download {name}=={version} timed out after {PIP_TIMEOUT}s") from None
    wheels = sorted(dest.glob("*.whl")) if dest.is_dir() else []
    if proc.returncode != 0 or not wheels:
        detail = (proc.stderr or proc.stdout).strip()[-2000:]
        raise CorpusError(
            f"could not download {name}=={version} from PyPI "
            f"(pip exit {proc.returncode}); network or index problem?\n{detail}"
        )
    return wheels[0]


def _unpack(wheel: Path, dest: Path) -> None:
    try:
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(dest)  # extractall refuses absolute and '..' member paths
    except (zipfile.BadZipFile, OSError) as exc:
        raise CorpusError(f"could not unpack {wheel.name}: {exc}") from exc


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="corpus.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    fetch = sub.add_parser("fetch", help="download and unpack (default: every package of CORPUS "
                                         "and ACCEPTANCE)")
    fetch.add_argument("names", nargs="*", metavar="NAME")
    path = sub.add_parser("path", help="print the tree of one package, fetching it if needed")
    path.add_argument("name")
    args = parser.parse_args(argv)

    names = [args.name] if args.cmd == "path" else (args.names or [*CORPUS, *ACCEPTANCE])
    status = 0
    for name in names:
        try:
            tree = corpus_tree(name)
        except CorpusError as exc:
            print(f"corpus: {exc}", file=sys.stderr)
            status = 1
            continue
        print(tree if args.cmd == "path" else f"{name}=={pinned(name)}: {tree}")
    return status


if __name__ == "__main__":
    sys.exit(_main())
