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
