#!/usr/bin/env bash
# Distributed training on torch.distributed (torchrun); restarted, resuming
# from the newest checkpoint, when a process dies (MAX_RESTARTS).
set -euo pipefail
DIR=$(cd "$(dirname "$0")" && pwd)
USAGE="usage: tools/dist_train.sh CONFIG GPUS [train.py options]

Train with GPUS processes on this node (one per GPU; on a machine without
CUDA, CPU processes on gloo), through torchrun and tools/train.py.
Multi-node: run it on every node with NNODES, NODE_RANK, MASTER_ADDR and
PORT set (defaults: 1, 0, 127.0.0.1, 29500). PYTHON: the interpreter
(default: .venv/bin/python of this clone if present, else python3).

MAX_RESTARTS (0): how often to start the processes again after one of
them fails; each start is a new torchrun that resumes from the newest
checkpoint of the work dir (the configs' auto_resume). SIGTERM to this
script reaches the processes through torchrun: they finish their
iteration, write its checkpoint, and the script exits with status 75
without a restart. (Ctrl-C interrupts every process at once, without a
checkpoint, and also ends without a restart.)"
source "$DIR/launch_env.sh"
usage_unless 2 "$@"
CONFIG=$1
GPUS=$2
PREEMPTED=75  # inceptionnext_seg.engine.PREEMPTED_EXIT_CODE
stopping=0
pid=
forward() {
    stopping=1
    [ -n "$pid" ] && kill -s "$1" "$pid" 2>/dev/null || true
}
trap 'forward TERM' TERM
trap 'forward INT' INT
attempt=0
while :; do
    status=0
    torchrun_tool train.py "$GPUS" "$CONFIG" "${@:3}" &
    pid=$!
    # A signal that came before $pid was known.
    [ "$stopping" -eq 1 ] && kill -s TERM "$pid" 2>/dev/null
    # `wait` returns early when a trapped signal arrives: wait again until
    # torchrun has ended, for its own status.
    wait "$pid" && status=0 || status=$?
    while kill -0 "$pid" 2>/dev/null; do
        wait "$pid" && status=0 || status=$?
    done
    pid=
    if [ "$stopping" -eq 1 ]; then
        echo "Stopped by a signal; run the same command again to resume from the newest checkpoint." >&2
        exit "$PREEMPTED"
    fi
    if [ "$status" -eq 0 ] || [ "$attempt" -ge "${MAX_RESTARTS:-0}" ]; then
        exit "$status"
    fi
    attempt=$((attempt + 1))
    echo "torchrun failed (status $status): start $attempt of ${MAX_RESTARTS} restarts, resuming from the newest checkpoint." >&2
done
