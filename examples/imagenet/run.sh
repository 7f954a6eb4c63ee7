#!/usr/bin/env bash
# Train on the first two GPUs of this node, one process per GPU, over NCCL.
set -euo pipefail
cd "$(dirname "$0")"

export CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-0,1}
export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
export NCCL_DEBUG=WARN

nvidia-smi
echo "Training on GPUs ${CUDA_VISIBLE_DEVICES} with nccl"

python main.py --config configs/train.yaml --multiprocessing-distributed \
    --device cuda --dist-backend nccl --epochs "${EPOCHS:-2}" "$@"
