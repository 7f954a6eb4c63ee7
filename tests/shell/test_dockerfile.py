"""Dockerfiles: instructions in any case, continuations, ENV/ARG names, RUN/CMD/ENTRYPOINT in shell
and exec form, heredocs, base images."""
import pytest

from tests.shell.helpers import assert_converts, assert_unchanged, dockerfile, finding_ids


@pytest.mark.parametrize("before, after", [
    pytest.param("ENV CUDA_VISIBLE_DEVICES=0,1\n", "ENV MLU_VISIBLE_DEVICES=0,1\n", id="env"),
    pytest.param("ENV A=1 CUDA_VISIBLE_DEVICES=0 PYTORCH_CUDA_ALLOC_CONF=\"max_split_size_mb:128\"\n",
                 "ENV A=1 MLU_VISIBLE_DEVICES=0 PYTORCH_MLU_ALLOC_CONF=\"max_split_size_mb:128\"\n", id="env-pairs"),
    pytest.param("ENV CUDA_VISIBLE_DEVICES 0\n", "ENV MLU_VISIBLE_DEVICES 0\n", id="env-legacy"),
    pytest.param("ENV TORCH_CUDA_ARCH_LIST 8.0\n", "ENV TORCH_BANG_ARCH_LIST 8.0\n", id="env-legacy-different-values"),
    pytest.param("env CUDA_VISIBLE_DEVICES=0\n", "env MLU_VISIBLE_DEVICES=0\n", id="lowercase"),
    pytest.param("ENV CUDA_VISIBLE_DEVICES=0 \\\n    PYTORCH_CUDA_ALLOC_CONF=x\n",
                 "ENV MLU_VISIBLE_DEVICES=0 \\\n    PYTORCH_MLU_ALLOC_CONF=x\n", id="env-continued"),
    pytest.param("ENV A=1 \\\n    # the GPUs\n    CUDA_VISIBLE_DEVICES=0\n",
                 "ENV A=1 \\\n    # the GPUs\n    MLU_VISIBLE_DEVICES=0\n", id="comment-inside-continuation"),
    pytest.param("ENV CUDA_VISIBLE_DEVICES=0\nENV DEVS=${CUDA_VISIBLE_DEVICES}\n",
                 "ENV MLU_VISIBLE_DEVICES=0\nENV DEVS=${MLU_VISIBLE_DEVICES}\n", id="env-use"),
    pytest.param("ARG TORCH_CUDA_ARCH_LIST=\"7.0;8.0\"\n", "ARG TORCH_BANG_ARCH_LIST=\"7.0;8.0\"\n", id="arg"),
    pytest.param("ARG CUDA_VISIBLE_DEVICES\n", "ARG MLU_VISIBLE_DEVICES\n", id="arg-without-default"),
    pytest.param("RUN nvidia-smi\n", "RUN cnmon\n", id="run"),
    pytest.param("RUN CUDA_VISIBLE_DEVICES=0 python check.py --device cuda\n",
                 "RUN MLU_VISIBLE_DEVICES=0 python check.py --device mlu\n", id="run-shell"),
    pytest.param("RUN pip install -r req.txt && \\\n    python check.py --device cuda:0 && \\\n    nvidia-smi\n",
                 "RUN pip install -r req.txt && \\\n    python check.py --device mlu:0 && \\\n    cnmon\n", id="run-continued"),
    pytest.param("RUN python a.py && \\\n    # check the device\n    python check.py --device 'cuda'\n",
                 "RUN python a.py && \\\n    # check the device\n    python check.py --device 'mlu'\n", id="run-comment-line"),
    pytest.param("RUN python a.py \\\n\n    --device cuda\n", "RUN python a.py \\\n\n    --device mlu\n", id="run-empty-continuation-line"),
    pytest.param("RUN --mount=type=cache,target=/root/.cache python t.py --dist-backend nccl\n",
                 "RUN --mount=type=cache,target=/root/.cache python t.py --dist-backend cncl\n", id="run-flags"),
    pytest.param("RUN [\"nvidia-smi\"]\n", "RUN [\"cnmon\"]\n", id="run-exec"),
    pytest.param("RUN [\"python\", \"t.py\", \"--device=cuda\"]\n", "RUN [\"python\", \"t.py\", \"--device=mlu\"]\n", id="run-exec-flag"),
    pytest.param("CMD [\"python\", \"train.py\", \"--device\", \"cuda\", \"--backend\", \"nccl\"]\n",
                 "CMD [\"python\", \"train.py\", \"--device\", \"mlu\", \"--backend\", \"cncl\"]\n", id="cmd-exec"),
    pytest.param("CMD [\"python\", \\\n     \"train.py\", \\\n     \"--device\", \"cuda\"]\n",
                 "CMD [\"python\", \\\n     \"train.py\", \\\n     \"--device\", \"mlu\"]\n", id="cmd-exec-continued"),
    pytest.param("ENTRYPOINT [\"env\", \"CUDA_VISIBLE_DEVICES=0\", \"python\", \"t.py\"]\n",
                 "ENTRYPOINT [\"env\", \"MLU_VISIBLE_DEVICES=0\", \"python\", \"t.py\"]\n", id="entrypoint-exec-env"),
    pytest.param("ENTRYPOINT [\"python\", \"t.py\"]\nCMD [\"--device\", \"cuda\"]\n",
                 "ENTRYPOINT [\"python\", \"t.py\"]\nCMD [\"--device\", \"mlu\"]\n", id="cmd-arguments"),
    pytest.param("CMD python train.py --device cuda\n", "CMD python train.py --device mlu\n", id="cmd-shell"),
    pytest.param("ENTRYPOINT nvidia-smi && python t.py\n", "ENTRYPOINT cnmon && python t.py\n", id="entrypoint-shell"),
    pytest.param("CMD [\"bash\", \"-c\", \"CUDA_VISIBLE_DEVICES=0 python t.py --device \\\"cuda:0\\\"\"]\n",
                 "CMD [\"bash\", \"-c\", \"MLU_VISIBLE_DEVICES=0 python t.py --device \\\"mlu:0\\\"\"]\n", id="exec-bash-c"),
    pytest.param("HEALTHCHECK --interval=30s --timeout=5s CMD nvidia-smi || exit 1\n",
                 "HEALTHCHECK --interval=30s --timeout=5s CMD cnmon || exit 1\n", id="healthcheck"),
    pytest.param("HEALTHCHECK CMD [\"nvidia-smi\"]\n", "HEALTHCHECK CMD [\"cnmon\"]\n", id="healthcheck-exec"),
    pytest.param("ONBUILD RUN nvidia-smi\n", "ONBUILD RUN cnmon\n", id="onbuild"),
    pytest.param("RUN <<EOF\nexport CUDA_VISIBLE_DEVICES=0\nnvidia-smi\nEOF\n",
                 "RUN <<EOF\nexport MLU_VISIBLE_DEVICES=0\ncnmon\nEOF\n", id="run-heredoc-script"),
    pytest.param("RUN <<-EOF\n\tnvidia-smi\n\tEOF\nRUN nvidia-smi\n", "RUN <<-EOF\n\tcnmon\n\tEOF\nRUN cnmon\n", id="run-heredoc-tabs"),
    pytest.param("# escape=`\nFROM base\nRUN python t.py `\n    --device cuda\n",
                 "# escape=`\nFROM base\nRUN python t.py `\n    --device mlu\n", id="escape-directive"),
    pytest.param("FROM base\r\nENV CUDA_VISIBLE_DEVICES=0\r\nRUN python t.py \\\r\n  --device cuda\r\n",
                 "FROM base\r\nENV MLU_VISIBLE_DEVICES=0\r\nRUN python t.py \\\r\n  --device mlu\r\n", id="crlf"),
])
def test_converts(before, after):
    assert_converts(dockerfile, before, after)


@pytest.mark.parametrize("src", [
    pytest.param("# RUN nvidia-smi\n# ENV CUDA_VISIBLE_DEVICES=0\n", id="comments"),
    pytest.param("FROM python:3.10-slim\nWORKDIR /app\n", id="plain"),
    pytest.param("LABEL description=\"Trains on CUDA with nccl; run nvidia-smi\"\n", id="label"),
    pytest.param("ENV DEVICE=cuda BACKEND=nccl\n", id="env-values"),
    pytest.param("ENV PATH=/usr/local/cuda/bin:$PATH LD_LIBRARY_PATH=/usr/local/cuda/lib64\n", id="cuda-paths"),
    pytest.param("ENV CUDA_HOME=/usr/local/cuda\nENV PATH=${CUDA_HOME}/bin:$PATH\n", id="toolkit-home"),
    pytest.param("RUN echo \"nvidia-smi --device cuda\" > /etc/motd\n", id="quoted-prose"),
    pytest.param("RUN pip install --no-cache-dir cudatoolkit-helper\n", id="longer-word"),
    pytest.param("RUN python t.py --no-cuda --use_cuda --gpus 4\n", id="unknown-flags"),
    pytest.param("RUN python t.py --device cu\\\nda\n", id="value-split-by-continuation"),
    pytest.param("COPY <<EOF /app/run.sh\nnvidia-smi --device cuda\nexport CUDA_VISIBLE_DEVICES=0\nEOF\n", id="copy-heredoc"),
    pytest.param("RUN python3 <<EOF\nimport os\nos.system('nvidia-smi')\nEOF\n", id="heredoc-as-input"),
    pytest.param("RUN <<EOF\n#!/usr/bin/env python3\nprint('nvidia-smi')\nEOF\n", id="heredoc-python-script"),
    pytest.param("RUN [\"python\", \"t.py\", \"--device\", \"cu\\u0064a\"]\n", id="json-escape-in-value"),
    pytest.param("CMD [\"bash\", \"-c\", \"echo nvidia-smi\", \"nvidia-smi\"]\n", id="bash-c-arguments"),
])
def test_left_alone(src):
    assert_unchanged(dockerfile, src)


def test_instructions_after_heredoc_are_read():
    src = "COPY <<EOF /a\nRUN nvidia-smi\nEOF\nRUN nvidia-smi\n"
    assert dockerfile(src).text == "COPY <<EOF /a\nRUN nvidia-smi\nEOF\nRUN cnmon\n"


@pytest.mark.parametrize("src, expected", [
    pytest.param("FROM nvidia/cuda:12.1.0-cudnn8-devel-ubuntu22.04\n", [("GM505", 1)], id="nvidia-cuda"),
    pytest.param("FROM pytorch/pytorch:2.1.0-cuda11.8-cudnn8-runtime\n", [("GM505", 1)], id="pytorch-cuda"),
    pytest.param("FROM pytorch/pytorch\n", [("GM505", 1)], id="pytorch-latest"),
    pytest.param("FROM nvcr.io/nvidia/pytorch:23.10-py3 AS build\n", [("GM505", 1)], id="ngc"),
    pytest.param("from --platform=linux/amd64 docker.io/nvidia/cuda:12.1.0-base\n", [("GM505", 1)], id="platform"),
    pytest.param("ARG BASE=nvidia/cuda:11.8.0-runtime-ubuntu22.04\nFROM ${BASE}\n", [("GM505", 2)], id="arg-image"),
    pytest.param("FROM ${BASE:-nvidia/cuda:11.8.0-runtime}\n", [("GM505", 1)], id="default-image"),
    pytest.param("FROM nvidia/cuda:12.1.0-base AS base\nFROM base\nFROM python:3.11\n", [("GM505", 1)], id="stage-alias"),
    pytest.param("FROM python:3.11-slim\nFROM ubuntu:22.04\n", [], id="plain-images"),
    pytest.param("FROM ubuntu:22.04\nRUN apt-get update && \\\n    apt-get install -y --no-install-recommends \\\n      libnccl2 libnccl-dev git\n",
                 [("GM506", 4)], id="apt-install"),
    pytest.param("ENV NVIDIA_VISIBLE_DEVICES=all\n", [("GM401", 1)], id="nvidia-visible-devices"),
    pytest.param("FROM base\nENV NCCL_SOCKET_IFNAME=eth0\n", [("GM402", 2)], id="nccl-tuning"),
    pytest.param("ARG TORCH_CUDA_ARCH_LIST=8.0\n", [("GM403", 1)], id="different-values"),
    pytest.param("ENV CUDA_HOME=/usr/local/cuda\n", [("GM405", 1)], id="toolkit-home"),
    pytest.param("ENV CUDA_DEVICE_MAX_CONNECTIONS=1\n", [("GM404", 1)], id="unknown-cuda-variable"),
    pytest.param("RUN nvidia-smi -L\n", [("GM500", 1)], id="nvidia-smi-options"),
    pytest.param("RUN [\"nvidia-smi\", \"-L\"]\n", [("GM500", 1)], id="nvidia-smi-options-exec"),
    pytest.param("RUN nvcc --version\n", [("GM502", 1)], id="nvcc"),
    pytest.param("CMD [\"torchrun\", \"--nproc_per_node=gpu\", \"train.py\"]\n", [("GM504", 1)], id="torchrun-exec"),
    pytest.param("ENTRYPOINT [\"torchrun\"]\nCMD [\"--nproc-per-node\", \"auto\", \"t.py\"]\n", [("GM504", 2)], id="torchrun-entrypoint"),
    pytest.param("FROM base\nRUN <<EOF\napt-get install -y cuda-toolkit-12-1\nEOF\n", [("GM506", 3)], id="heredoc-line"),
])
def test_findings(src, expected):
    assert finding_ids(dockerfile, src) == expected


DOCKERFILE = """\
# syntax=docker/dockerfile:1
FROM nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04
ENV CUDA_VISIBLE_DEVICES=0,1 \\
    NCCL_DEBUG=INFO
RUN apt-get update && apt-get install -y python3-pip
COPY . /app
CMD ["torchrun", "--nproc_per_node=2", "/app/train.py", "--dist-backend", "nccl"]
"""


def test_whole_dockerfile():
    assert_converts(dockerfile, DOCKERFILE, DOCKERFILE.replace("CUDA_VISIBLE", "MLU_VISIBLE").replace('"nccl"', '"cncl"'))
    assert finding_ids(dockerfile, DOCKERFILE) == [("GM505", 2), ("GM402", 4)]
    rows = [(c.line, c.rule) for c in dockerfile(DOCKERFILE).changes]
    assert rows == [(3, "env-var"), (7, "distributed")]


def test_pip_install_in_run_is_judged_like_requirement_files():
    text = ("FROM python:3.11\n"
            "RUN pip install --extra-index-url=https://download.pytorch.org/whl/cu121 torch==2.1.2+cu121 \\\n"
            "    bitsandbytes\n")
    result = dockerfile(text)
    assert result.text == text
    assert sorted((f.line, f.id) for f in result.findings) == [(2, "GM311"), (2, "GM312"), (3, "GM310")]
