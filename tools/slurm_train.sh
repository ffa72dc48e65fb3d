#!/usr/bin/env bash
# Training on a Slurm cluster (srun starts one task per GPU).
set -euo pipefail
DIR=$(cd "$(dirname "$0")" && pwd)
USAGE="usage: [GPUS=8] tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]

Train on GPUS GPUs of a Slurm partition: srun starts one task per GPU, each
runs tools/train.py --launcher slurm. GPUS_PER_NODE (8), CPUS_PER_TASK (5)
and SRUN_ARGS (extra srun options) are read from the environment. PYTHON:
the interpreter on the nodes (default: .venv/bin/python of this clone if
present, else python3)."
source "$DIR/launch_env.sh"
usage_unless 4 "$@"
srun_tool "$1" "$2" train.py "$3" --work-dir="$4" "${@:5}"
