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
	# pip byte-compiles the ~20k files of torch & co. on one core, half the
	# install time; compileall does it on every core (like pip, it skips the
	# few files that do not compile: a speed-up only, hence `|| true`).
	$(PY) -m pip install --disable-pip-version-check -q --no-compile \
		-r requirements.txt
	$(PY) -m compileall -q -j 0 "$$($(PY) -c 'import sysconfig; \
		print(sysconfig.get_paths()["purelib"])')" > /dev/null || true
	# mmseg imports on mmcv-lite whatever imports first (see the file).
	$(PY) tools/mmcv_lite_ops.py install
	@touch $(STAMP)

demo: $(STAMP)
	$(PY) tools/demo.py

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) work_dirs .pytest_cache
