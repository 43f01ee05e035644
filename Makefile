# Two commands: `make demo` and `make test`. Both install what is missing (Debian packages,
# then a virtual environment in .venv/ with every extra the tests need) and are safe to rerun.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.archreview-installed
APT_PACKAGES := tesseract-ocr tesseract-ocr-eng ffmpeg espeak-ng fonts-dejavu-core fonts-liberation chromium postgresql
# openai-whisper's own requirements, less triton (1 GB of GPU compiler, useless on a CPU machine)
WHISPER_DEPS := numba tiktoken more-itertools tqdm
export HF_HUB_OFFLINE := 1
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: demo test setup system-deps samples lint clean

demo: setup
	$(VENV)/bin/archreview batch samples --out reports; status=$$?; \
	echo; echo "Reports are in $(CURDIR)/reports/ (one JSON a sample, summary.json for the batch)."; exit $$status

test: setup
	$(PY) -m pytest -q -p no:cacheprovider

setup: system-deps $(STAMP)

system-deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# the CPU build of torch (a bare `torch` requirement can pull a multi-GB CUDA build)
	$(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[ocr,speech,analysis,ernie,flows,test]"
	$(PY) -m pip install -q $(WHISPER_DEPS)
	$(PY) -m pip install -q --no-deps "openai-whisper==20250625"
	touch $(STAMP)

samples: setup
	$(PY) samples/make_samples.py

lint: setup
	$(VENV)/bin/ruff check archreview schemas encoders pipeline flows tests benchmarks samples
	$(VENV)/bin/mypy schemas pipeline

clean:
	rm -rf $(VENV) reports .pytest_cache .mypy_cache .ruff_cache
