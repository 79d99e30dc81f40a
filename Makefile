# The two commands: `make run` (set up, then serve the demo) and `make test` (set up, then test).
# Every step is cached: a second run does no network work.
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
# One BLAS thread: on 2 cores, OpenBLAS's threads slow numpy 5-10x whenever anything else runs.
export OPENBLAS_NUM_THREADS ?= 1
VENV := .venv
BIN := $(VENV)/bin
WHEEL := dist/pyapp-$(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' pyapp/__init__.py)-py3-none-any.whl
PYAPP_SOURCES := $(shell find pyapp -name '*.py') pyapp/backends/wasm/kernels.wasm pyproject.toml

.PHONY: run test test-unit test-e2e bench setup assets wheel browser wasm-toolchain wasm-check clean

run: setup
	$(BIN)/pyapp serve --host $(HOST) --port $(PORT)

# pytest exits 5 when it collected nothing: say so plainly instead of a bare make error.
test: setup browser wasm-check
	$(BIN)/python -m pytest -ra; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests"; fi; exit $$rc

# pyapp vs TF.js in Chromium (see `python -m bench -h`): `make bench BENCH_FLAGS="--quick"`.
# The golden set gives the input every engine gets and the outputs each must match.
bench: setup browser
	$(BIN)/python -m tools.golden
	$(BIN)/python -m bench $(BENCH_FLAGS)

test-unit: setup
	$(BIN)/python -m pytest -ra tests/unit

test-e2e: setup browser
	$(BIN)/python -m pytest -ra tests/e2e

setup: $(VENV)/.installed assets

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet --no-build-isolation -c constraints.txt -e '.[test]'
	touch $@

# Also compiles the wheel to .pyc for serving, again whenever the wheel changed (pyapp/assets_served.py).
assets: $(VENV)/.installed $(WHEEL)
	$(BIN)/pyapp setup --wheel $(WHEEL)

wheel: $(WHEEL)

# Pure-Python wheel for Pyodide; no build isolation, so it builds offline.
$(WHEEL): $(VENV)/.installed $(PYAPP_SOURCES)
	rm -rf build dist/pyapp-*.whl dist/served dist/served.json
	$(BIN)/python -m pip wheel --quiet --no-deps --no-build-isolation -w dist .

# Debian's Chromium drives the browser tests (Playwright's own browser download does not work here);
# ffmpeg makes the demo tests' fake camera video.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }
	@command -v ffmpeg >/dev/null || { apt-get update -qq && apt-get install -y -qq ffmpeg; }

# The wasm kernels are committed (pyapp/backends/wasm/kernels.wasm); `make test` rebuilds them with the
# pinned Debian clang/lld 14 and requires the same bytes (tools/wasm_build.py).
WASM_TOOLCHAIN := clang-14=1:14.0.6-12 lld-14=1:14.0.6-12
wasm-toolchain:
	@command -v clang-14 >/dev/null && command -v wasm-ld-14 >/dev/null || { apt-get update -qq && apt-get install -y -qq $(WASM_TOOLCHAIN); }

wasm-check: $(VENV)/.installed wasm-toolchain
	$(BIN)/python -m tools.wasm_build --check

clean:
	rm -rf build dist
