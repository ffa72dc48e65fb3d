#!/usr/bin/env bash
# Evaluation on a Slurm cluster (srun starts one task per GPU).
set -euo pipefail
DIR=$(cd "$(dirname "$0")" && pwd)
USAGE="usage: [GPUS=8] tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options]

Evaluate CHECKPOINT on GPUS GPUs of a Slurm partition: srun starts one task
per GPU, each runs tools/test.py --launcher slurm. GPUS_PER_NODE (8),
CPUS_PER_TASK (5) and SRUN_ARGS (extra srun options) are read from the
environment. PYTHON: the interpreter on the nodes (default: .venv/bin/python
of this clone if present, else python3)."
source "$DIR/launch_env.sh"
usage_unless 4 "$@"
srun_tool "$1" "$2" test.py "$3" "$4" "${@:5}"
