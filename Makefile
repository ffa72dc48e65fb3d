# Two commands: `make demo` and `make test`. Both create .venv if missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Two workers: most tests wait on tool subprocesses, which use one thread each.
PYTEST_ARGS ?= -n 2

.PHONY: install demo test clean

install: $(STAMP)

$(STAMP): requirements.txt requirements/*.txt tools/mmcv_lite_ops.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# --no-compile: half the install time goes into byte-compiling every file
	# of torch and the CUDA packages; Python compiles what it imports instead.
	$(PY) -m pip install --disable-pip-version-check -q --no-compile \
		-r requirements.txt
	# mmseg imports on mmcv-lite whatever imports first (see the file).
	$(PY) tools/mmcv_lite_ops.py install
	@touch $(STAMP)

demo: $(STAMP)
	$(PY) tools/demo.py

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) work_dirs .pytest_cache
