# Two commands: `make demo` and `make test`. Both create .venv if missing.
PYTHON ?= python3
VENV ?= .venv
# What `make install` installs: the locked stack (made on Python 3.11, for
# 3.11 to 3.13). INSTALL="-e .[tests]" takes the tested ranges instead.
INSTALL ?= -r requirements.txt
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Two workers: most tests wait on tool subprocesses, which use one thread
# each; loadgroup keeps the tests of one generated run on one worker.
PYTEST_ARGS ?= -n 2 --dist loadgroup
# Let Python cache the byte code of what it imports in .venv even where the
# environment turns that off (PYTHONDONTWRITEBYTECODE): every tool subprocess
# would compile torch & co. again.
CACHE_BYTECODE := env -u PYTHONDONTWRITEBYTECODE

.PHONY: install demo test lint compat clean

install: $(STAMP)

# The project, editable, with the locked stack (requirements.txt); its wheel
# also puts tools/install/mmcv_lite_ops.py and its .pth into site-packages, so mmseg
# imports on mmcv-lite whatever imports first.
$(STAMP): pyproject.toml requirements.txt requirements/*.txt \
		tools/install/mmcv_lite_ops.py tools/install/mmcv_lite_ops.pth
	@test -x $(PY) || $(PYTHON) tools/install/check_python.py "$(INSTALL)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# --no-compile: byte-compiling all ~20k files of torch & co. is half the
	# install time; the first run compiles only what it imports (below).
	$(PY) -m pip install --disable-pip-version-check -q --no-compile \
		$(INSTALL)
	@touch $(STAMP)

# A shorter demo: make demo ITERS=100 (tools/misc/demo.py --iters).
ITERS ?=
demo: $(STAMP)
	$(CACHE_BYTECODE) $(PY) tools/misc/demo.py $(if $(ITERS),--iters $(ITERS))

test: $(STAMP)
	$(CACHE_BYTECODE) $(PY) -m pytest $(PYTEST_ARGS)

# flake8 with .flake8 (CI runs it before the tests).
lint: $(STAMP)
	$(PY) -m flake8

# The support matrix: a fresh venv per row (Python 3.10-3.13, torch 2.1-2.14,
# NumPy 1 and 2) and the tests marked `compat` in each; see tools/dev/compat.py.
# Downloads several GB per row. COMPAT_ARGS="--rows oldest" runs one row.
compat:
	$(PYTHON) tools/dev/compat.py $(COMPAT_ARGS)

clean:
	rm -rf $(VENV) .compat work_dirs .pytest_cache build dist
