#!/usr/bin/env bash
# Train on the first two GPUs of this node, one process per GPU, over NCCL.
set -euo pipefail
cd "$(dirname "$0")"

export MLU_VISIBLE_DEVICES=${MLU_VISIBLE_DEVICES:-0,1}
export PYTORCH_MLU_ALLOC_CONF=expandable_segments:True
export NCCL_DEBUG=WARN

cnmon
echo "Training on GPUs ${MLU_VISIBLE_DEVICES} with nccl"

python main.py --config configs/train.yaml --multiprocessing-distributed \
    --device mlu --dist-backend cncl --epochs "${EPOCHS:-2}" "$@"
