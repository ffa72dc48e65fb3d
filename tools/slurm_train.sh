#!/usr/bin/env bash
# Training on a Slurm cluster (srun starts one task per GPU); a run stopped
# by preemption or ahead of the time limit is requeued and resumes by itself.
set -euo pipefail
DIR=$(cd "$(dirname "$0")" && pwd)
USAGE="usage: [GPUS=8] tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]

Train on GPUS GPUs of a Slurm partition: srun starts one task per GPU, each
runs tools/train.py --launcher slurm. GPUS_PER_NODE (8), CPUS_PER_TASK (5)
and SRUN_ARGS (extra srun options) are read from the environment. PYTHON:
the interpreter on the nodes (default: .venv/bin/python of this clone if
present, else python3).

Preemption and time limits: srun asks Slurm for SIGUSR1 SIGNAL_BEFORE_END
seconds (180) before the job's end; on it, or on the SIGTERM of a
preemption, training finishes its iteration and writes that checkpoint;
inside a batch job (sbatch --requeue ...) its first rank then requeues the
job (scontrol requeue) before any rank exits, and the requeued job, the same
command, resumes from that checkpoint (the configs' auto_resume). The ranks
exit with status 75; srun may report 143 for ranks it ended (its
--kill-on-bad-exit), which changes nothing: the checkpoint is written and
the job requeued."
source "$DIR/launch_env.sh"
usage_unless 4 "$@"
PREEMPTED=75  # inceptionnext_seg.engine.PREEMPTED_EXIT_CODE
status=0
SRUN_ARGS="--signal=USR1@${SIGNAL_BEFORE_END:-180} ${SRUN_ARGS:-}" \
    srun_tool "$1" "$2" train.py "$3" --work-dir="$4" "${@:5}" || status=$?
{ set +x; } 2>/dev/null
if [ "$status" -eq "$PREEMPTED" ] && [ -z "${SLURM_JOB_ID:-}" ]; then
    echo "Training stopped with its checkpoint written (status $status): run the same command again to resume from $4 (inside sbatch --requeue the training requeues the job itself)." >&2
fi
exit "$status"
