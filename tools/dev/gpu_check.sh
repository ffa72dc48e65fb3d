#!/usr/bin/env bash
# The GPU check: tests/test_gpu.py and tools/analysis_tools/benchmark.py --device cuda on one
# NVIDIA GPU, within 9 minutes (docs/development.md, "The GPU check").
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
USAGE="usage: tools/dev/gpu_check.sh prepare [PYTHON_VERSION]
       tools/dev/gpu_check.sh run [OUT_DIR]

prepare  (a machine that reaches the package index; PYTHON_VERSION of the
         GPU machine, default 3.12) puts into .whl/ the wheels of
         requirements/gpu_check.txt at the versions of requirements/lock.txt
         and this project's wheel.
run      (the GPU machine, no network needed) installs .whl/ into a venv
         over the machine's Python with torch (BASE_PYTHON, default python3)
         unless .venv/ exists or that Python has mmengine, then runs tests/test_gpu.py and the GPU
         benchmark; results, logs and figures go to OUT_DIR (default
         work_dirs/gpu_check). Without CUDA the steps that need it skip,
         saying why."
case "${1:-}" in
prepare)
    version=${2:-3.12}
    py=$( [ -x "$ROOT/.venv/bin/python" ] && echo "$ROOT/.venv/bin/python" \
        || command -v python3 )
    mkdir -p "$ROOT/.whl"
    "$py" -m pip download -q --no-deps --only-binary=:all: \
        --python-version "$version" --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 -d "$ROOT/.whl" \
        -c "$ROOT/requirements/lock.txt" -r "$ROOT/requirements/gpu_check.txt"
    "$py" -m pip wheel -q --no-deps -w "$ROOT/.whl" "$ROOT"
    ls "$ROOT/.whl"
    ;;
run)
    out=$(mkdir -p "${2:-$ROOT/work_dirs/gpu_check}" && cd "${2:-$ROOT/work_dirs/gpu_check}" && pwd)
    cd "$ROOT"
    base=${BASE_PYTHON:-python3}  # the machine's Python with torch
    if [ -n "${PYTHON:-}" ]; then
        py=$PYTHON
    elif [ -x .venv/bin/python ]; then
        py=.venv/bin/python
    elif "$base" -c 'import mmengine, mmseg' 2>/dev/null; then
        py=$base
    else
        [ -d .whl ] || { echo "No .whl/ here and $base has no mmengine: run 'tools/dev/gpu_check.sh prepare' on a machine with the package index first." >&2; exit 2; }
        # A venv over $base's packages (torch & co.), which may itself be a
        # venv: its site-packages are added, .pth files included.
        env_dir=/tmp/gpu_check_env
        "$base" -m venv --clear --without-pip "$env_dir"
        site=$("$env_dir/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
        "$base" -c 'import site; print("import site; site.addsitedir(%r)" % site.getsitepackages()[0])' > "$site/zz_base_python.pth"
        PIP_ROOT_USER_ACTION=ignore "$base" -m pip install -q --no-index \
            --disable-pip-version-check --no-deps --no-cache-dir \
            --target "$site" .whl/*.whl
        py=$env_dir/bin/python
    fi
    export PYTHON=$py PYTHONUNBUFFERED=1  # dist_train.sh's interpreter too
    "$py" - <<'PY' | tee "$out/machine.txt"
import torch
print(f'torch {torch.__version__} (CUDA {torch.version.cuda}), '
      f'CUDA available: {torch.cuda.is_available()}')
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    print(f'GPU: {p.name}, {p.total_memory / 2**30:.0f} GiB, '
          f'compute capability {p.major}.{p.minor}')
PY
    status=0
    timeout 330 "$py" -m pytest tests/test_gpu.py -v -rs -p no:cacheprovider \
        --junitxml "$out/gpu_tests.xml" 2>&1 | tee "$out/gpu_tests.log" \
        || status=$?
    # (machine.txt says whether torch sees CUDA: no third interpreter)
    if grep -q 'CUDA available: True' "$out/machine.txt"; then
        # InceptionNeXt-T vs ConvNeXt-T, backbone and UperNet-T, fp32 (one
        # TF32 policy, stated) and AMP + channels-last, eager and compiled.
        timeout 180 "$py" tools/analysis_tools/benchmark.py --device cuda --parts matrix \
            --json "$out/gpu_benchmark.json" 2>&1 \
            | tee "$out/gpu_benchmark.txt" || status=$?
    else
        echo "benchmark: skipped (torch.cuda.is_available() is False here)" \
            | tee "$out/gpu_benchmark.txt"
    fi
    echo "GPU check: status $status; results in $out"
    exit "$status"
    ;;
-h|--help)
    echo "$USAGE"
    ;;
*)
    echo "$USAGE" >&2
    exit 2
    ;;
esac
