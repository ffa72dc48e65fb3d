#!/usr/bin/env bash
# Distributed training on torch.distributed (torchrun).
set -euo pipefail
DIR=$(cd "$(dirname "$0")" && pwd)
USAGE="usage: tools/dist_train.sh CONFIG GPUS [train.py options]

Train with GPUS processes on this node (one per GPU; on a machine without
CUDA, CPU processes on gloo), through torchrun and tools/train.py.
Multi-node: run it on every node with NNODES, NODE_RANK, MASTER_ADDR and
PORT set (defaults: 1, 0, 127.0.0.1, 29500). PYTHON: the interpreter
(default: .venv/bin/python of this clone if present, else python3)."
source "$DIR/launch_env.sh"
usage_unless 2 "$@"
CONFIG=$1
GPUS=$2
torchrun_tool train.py "$GPUS" "$CONFIG" "${@:3}"
