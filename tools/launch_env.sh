# Sourced by tools/dist_train.sh, dist_test.sh, slurm_train.sh and
# slurm_test.sh (which set DIR to tools/ and USAGE): the Python they run and
# their usage message.

# $PYTHON if set; else the project's environment (.venv, from `make
# install`) if there is one; else python3 from PATH (the environment you
# activated, where you ran `pip install` of this project).
project_python() {
    if [ -n "${PYTHON:-}" ]; then
        echo "$PYTHON"
    elif [ -x "$DIR/../.venv/bin/python" ]; then
        echo "$(cd "$DIR/.." && pwd)/.venv/bin/python"
    else
        command -v python3 || command -v python
    fi
}

# usage_unless N ARGS...: with -h/--help print the usage and exit 0; with
# fewer than N arguments print it to stderr and exit 2.
usage_unless() {
    local needed=$1
    shift
    if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
        echo "$USAGE"
        exit 0
    fi
    if [ "$#" -lt "$needed" ]; then
        echo "$USAGE" >&2
        exit 2
    fi
}

# torchrun_tool SCRIPT GPUS ARGS...: GPUS processes of tools/SCRIPT on this
# node through torchrun (NNODES, NODE_RANK, MASTER_ADDR, PORT for several).
# On SIGTERM torchrun gives its processes TORCH_ELASTIC_SHUTDOWN_TIMEOUT
# seconds before SIGKILL (its own default, 30, is shorter than a validation
# or a checkpoint save on a network file system, after which the stop's
# checkpoint is written); torch versions before that variable keep 30.
torchrun_tool() {
    local script=$1 gpus=$2
    shift 2
    export TORCH_ELASTIC_SHUTDOWN_TIMEOUT=${TORCH_ELASTIC_SHUTDOWN_TIMEOUT:-600}
    exec "$(project_python)" -m torch.distributed.run \
        --nnodes="${NNODES:-1}" \
        --node_rank="${NODE_RANK:-0}" \
        --master_addr="${MASTER_ADDR:-127.0.0.1}" \
        --nproc_per_node="$gpus" \
        --master_port="${PORT:-29500}" \
        "$DIR/$script" "$@" --launcher pytorch
}

# srun_tool PARTITION JOB_NAME SCRIPT ARGS...: one task per GPU of tools/SCRIPT
# on a Slurm partition (GPUS, GPUS_PER_NODE, CPUS_PER_TASK, SRUN_ARGS). The
# process group's port comes from the job id (mmengine's slurm launcher
# takes 29500 otherwise, and two jobs on one node collide): MASTER_PORT.
srun_tool() {
    local partition=$1 job=$2 script=$3
    shift 3
    export MASTER_PORT=${MASTER_PORT:-$((20000 + ${SLURM_JOB_ID:-$$} % 20000))}
    local gpus_per_node=${GPUS_PER_NODE:-8}
    set -x
    # SRUN_ARGS is split into words on purpose.
    # shellcheck disable=SC2086
    srun -p "$partition" \
        --job-name="$job" \
        --gres=gpu:"$gpus_per_node" \
        --ntasks="${GPUS:-8}" \
        --ntasks-per-node="$gpus_per_node" \
        --cpus-per-task="${CPUS_PER_TASK:-5}" \
        --kill-on-bad-exit=1 \
        ${SRUN_ARGS:-} \
        "$(project_python)" -u "$DIR/$script" "$@" --launcher=slurm
}
