#!/usr/bin/env bash
# Distributed evaluation on torch.distributed (torchrun).
set -euo pipefail
DIR=$(cd "$(dirname "$0")" && pwd)
USAGE="usage: tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py options]

Evaluate CHECKPOINT with GPUS processes on this node (one per GPU; on a
machine without CUDA, CPU processes on gloo), through torchrun and
tools/test.py. Multi-node: run it on every node with NNODES, NODE_RANK,
MASTER_ADDR and PORT set (defaults: 1, 0, 127.0.0.1, 29500). PYTHON: the
interpreter (default: .venv/bin/python of this clone if present, else
python3)."
source "$DIR/launch_env.sh"
usage_unless 3 "$@"
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
torchrun_tool test.py "$GPUS" "$CONFIG" "$CHECKPOINT" "${@:4}"
