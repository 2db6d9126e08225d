# Two entry points: `make run` (the main job) and `make test`. Both set up
# everything they need on a fresh machine first; a second call skips the set-up.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.polystat-installed
APT_PACKAGES := chromium poppler-utils fonts-noto-cjk

.PHONY: setup run test lint bench

$(STAMP): pyproject.toml
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null; \
	  fi; \
	else echo "note: install $(APT_PACKAGES) with your package manager for PDF fonts and browser tests"; fi
	test -x $(PY) || python3 -m venv $(VENV)
	# --no-compile: Python compiles what it imports; bytecode for the rest would be 180 MB.
	$(PY) -m pip install -q --no-compile -e ".[dev,dask]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	@$(VENV)/bin/polystat models ensure
	$(VENV)/bin/polystat run

test: $(STAMP)
	$(VENV)/bin/pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check extract warehouse flows reports tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) -m pip install -q -e ".[bench]"
	$(PY) bench/extract.py
