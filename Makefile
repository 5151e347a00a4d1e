# One entry point for every job. `make demo` and `make test` do all set-up
# on a fresh machine: the virtualenv, the Go build of the collector and
# Debian's prometheus (for promtool and the end-to-end tests).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
COLLECTOR := build/otelcol-srm
COLLECTOR_SRC := $(wildcard collector/*.go) collector/go.mod collector/go.sum
PY_SOURCES := srm_otel tests examples $(wildcard bench)

.PHONY: all venv collector prometheus lint typecheck test test-unit demo bench clean

all: test

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The collector distribution: only the components our configurations use,
# built from the official Go modules pinned in collector/go.mod.
collector: $(COLLECTOR)

$(COLLECTOR): $(COLLECTOR_SRC)
	mkdir -p build
	cd collector && go build -trimpath -o ../$(COLLECTOR) .

# Debian's prometheus package brings both the server and promtool.
prometheus:
	@command -v prometheus >/dev/null && command -v promtool >/dev/null || { \
	  apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; }

lint: venv
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/ruff format --check $(PY_SOURCES)

typecheck: venv
	$(BIN)/mypy

test-unit: venv prometheus
	$(BIN)/pytest -m 'not e2e'

test: venv collector prometheus lint typecheck
	$(BIN)/pytest

demo: venv
	$(BIN)/srm-otel demo

# The benchmarks need no collector (their receivers are Python servers on
# loopback); the bench extra brings the profiler.
BENCH_STAMP := $(VENV)/.bench-stamp

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

bench: venv $(BENCH_STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf build $(VENV) .pytest_cache .mypy_cache .ruff_cache
