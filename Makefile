# The only entry points. `make demo`, `make test` and `make site` each set everything
# up from a fresh clone: a .venv with kerasguide and its dev and docs extras, plus
# Graphviz's `dot`, Chromium (for the website's browser test) and bubblewrap (the
# grading sandbox) through apt-get when running as root.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.kerasguide-installed
PYTEST_WORKERS ?= 2
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONHASHSEED ?= 0
export MPLBACKEND ?= Agg
# mkdocs-material's notice of its end of life (May 2027) stays out of every build's output.
export NO_MKDOCS_2_WARNING ?= 1
# Compiled modules are kept in __pycache__ even where the shell says not to write them
# (PYTHONDONTWRITEBYTECODE): each test worker and kernel would compile kerasguide and
# rewrite the tests' asserts again, 3 s of every run.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install demo test unit slow lint dist compat backends notebooks site site-pages site-check bench conformance lint-applications fuzz clean

install: $(STAMP)

# $(call system_tool,COMMAND,DEBIAN PACKAGE,WHAT IT IS FOR,WHAT HAPPENS WITHOUT IT):
# installed with apt-get when running as root, else a note.
define system_tool
@if ! command -v $(1) >/dev/null 2>&1; then \
  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
    echo "Installing $(2) ($(3)) with apt-get"; \
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null) \
      || echo "warning: $(2) could not be installed; $(4)"; \
  else \
    echo "note: $(1) is missing and this is not root; $(4)"; \
  fi; \
fi
endef

$(STAMP): pyproject.toml
	$(call system_tool,dot,graphviz,diagrams,diagrams will use the matplotlib engine)
	$(call system_tool,chromium,chromium,the course website's browser test,the browser test will be skipped)
	$(call system_tool,bwrap,bubblewrap,the grading sandbox,kerasguide grade will need --trusted)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,docs]'
	touch $(STAMP)

demo: install
	$(BIN)/python -m kerasguide demo --out build/demo

# Every test and docstring example. The grading tests share one class's run, so they stay
# on one worker while the other worker takes the rest, and they start first (tests/conftest.py's
# scheduler). Tests marked `sweep` (every keras.applications model, the whole model
# collection) are `make conformance`'s; a representative few of each run here.
PYTEST := $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --doctest-modules --ignore=tests/data \
  tests kerasguide

# Unit tests and the docstrings' examples; `slow` ones (kernels, application models, a fresh
# TensorFlow in a subprocess) apart.
unit: install
	$(PYTEST) -m "not slow and not sweep"

slow: install
	$(PYTEST) -m "slow and not sweep"

# What CI runs: every notebook on a fresh kernel (`make notebooks`), the website made
# from them, then one pytest run of everything else: unit and slow tests, the docstrings'
# examples, the executed notebooks' outputs and the site in Chromium (one TensorFlow
# import per worker, and both workers stay busy).
# The wheel is built while the notebooks run, and the site is made while pytest starts
# (one process beside two): the site's tests wait for SITE_STATUS (tests/site_build.py),
# where its exit status is written, and its log (SITE_STATUS's .log) is shown.
SITE_STATUS := build/site-fast.status

test: install
	$(MAKE) --no-print-directory -j2 --output-sync=target notebooks dist
	@rm -f $(SITE_STATUS); \
	( $(MAKE) --no-print-directory site-pages SITE_NOTEBOOKS=$(NOTEBOOK_OUT) \
	    SITE_DIR=build/site-fast > $(SITE_STATUS:.status=.log) 2>&1; \
	  echo $$? > $(SITE_STATUS).part && mv $(SITE_STATUS).part $(SITE_STATUS) ) & \
	echo "making the site in build/site-fast while the tests start"; \
	KERASGUIDE_SITE=build/site-fast KERASGUIDE_SITE_STATUS=$(SITE_STATUS) \
	  KERASGUIDE_EXECUTED_NOTEBOOKS=$(NOTEBOOK_OUT) KERASGUIDE_DIST=$(DIST) \
	  $(PYTEST) -m "not sweep"; status=$$?; wait; cat $(SITE_STATUS:.status=.log); \
	if [ "$$(cat $(SITE_STATUS))" != 0 ]; then echo "making the site failed (above)"; exit 1; fi; \
	exit $$status

# The sdist and the wheel in dist/, as a package index would take them (twine check);
# tests/test_dist.py installs the wheel into a fresh venv, and `make site` publishes it.
DIST := dist

# Built again only when what goes into them has changed (a second `make test` reuses them).
DIST_STAMP := $(DIST)/.built
DIST_SOURCES := pyproject.toml README.md LICENSE $(wildcard kerasguide/*.py \
  kerasguide/py.typed kerasguide/*/*.py kerasguide/*/*.yaml tests/test_*.py)

dist: install $(DIST_STAMP)

$(DIST_STAMP): $(DIST_SOURCES) $(STAMP)
	rm -rf $(DIST) && $(BIN)/python -m build --quiet --outdir $(DIST) .
	$(BIN)/twine check --strict $(DIST)/*
	touch $@

# The tested range of TensorFlow and Keras (a release check, not part of `make test`): a
# venv per pair under COMPAT_DIR, kept between runs, with kerasguide and its dev extra,
# then the unit tests (no grading kernels, no notebooks, no slow tests) in each; a line
# per pair in $(COMPAT_DIR)/report.txt, and exit 1 if any pair failed.
# The floor is pyproject.toml's (tensorflow>=2.16.2, keras>=3.3.3); `newest` is whatever
# pip resolves today; `jax` is `make backends`. COMPAT_PAIRS picks some:
# `make compat COMPAT_PAIRS=floor`.
COMPAT_DIR ?= build/compat
COMPAT_PAIRS ?= floor newest jax
COMPAT_floor := tensorflow==2.16.2 keras==3.3.3
COMPAT_newest := --upgrade tensorflow keras
COMPAT_PYTEST := -m pytest -q -n $(PYTEST_WORKERS) -m "not slow" -p no:cacheprovider \
  --ignore=tests/data --ignore=tests/test_notebooks.py --ignore-glob="tests/test_grade*.py" tests

compat:
	@mkdir -p $(COMPAT_DIR) && : > $(COMPAT_DIR)/report.txt; status=0; \
	for pair in $(COMPAT_PAIRS); do \
	  if [ $$pair = jax ]; then \
	    $(MAKE) --no-print-directory backends BACKENDS_DIR=$(COMPAT_DIR) \
	      > $(COMPAT_DIR)/jax.log 2>&1 || status=1; \
	    counts=$$(grep -E "[0-9]+ (passed|failed|error)" $(COMPAT_DIR)/jax.log | paste -sd ';'); \
	    echo "$$counts"; echo "jax (Keras on JAX, no TensorFlow): $$counts" \
	      >> $(COMPAT_DIR)/report.txt; continue; \
	  fi; \
	  venv=$(COMPAT_DIR)/$$pair; \
	  case $$pair in floor) pins="$(COMPAT_floor)";; newest) pins="$(COMPAT_newest)";; \
	    *) echo "unknown pair $$pair (floor, newest, jax)"; exit 2;; esac; \
	  test -x $$venv/bin/python || $(PYTHON) -m venv $$venv; \
	  echo "== $$pair: installing $$pins"; \
	  $$venv/bin/python -m pip install --quiet -e '.[dev]' $$pins || exit 1; \
	  versions=$$($$venv/bin/python -c "import importlib.metadata as m; \
	    print('TensorFlow', m.version('tensorflow'), 'with Keras', m.version('keras'))"); \
	  echo "== $$pair: $$versions"; \
	  $$venv/bin/python $(COMPAT_PYTEST) > $(COMPAT_DIR)/$$pair.log 2>&1; code=$$?; \
	  tail -n 1 $(COMPAT_DIR)/$$pair.log; \
	  echo "$$pair ($$versions): $$(tail -n 1 $(COMPAT_DIR)/$$pair.log)" >> $(COMPAT_DIR)/report.txt; \
	  [ $$code -eq 0 ] || status=1; \
	done; cat $(COMPAT_DIR)/report.txt; exit $$status

# kerasguide on JAX (in `make compat`, not in `make test`): a venv, BACKENDS_DIR/jax, with
# jax[cpu], Keras and kerasguide's other dependencies but no TensorFlow (kerasguide itself
# with --no-deps), then the backend-neutral test files under KERAS_BACKEND=jax.
BACKENDS_DIR ?= build/backends
BACKEND_TESTS := tests/test_backends.py tests/test_build.py tests/test_specs.py \
  tests/test_summary.py tests/test_explain.py tests/test_checks.py tests/test_plot.py \
  tests/test_lint.py tests/test_codegen.py tests/test_convert.py tests/test_parse.py \
  tests/test_import.py tests/test_exported_members.py
BACKEND_DEPS := "jax[cpu]" keras "pydot>=2" "matplotlib>=3.7" "pyyaml>=6" "argcomplete>=3.1" \
  pytest pytest-xdist hypothesis "ruff>=0.6" ipykernel nbformat "scikit-learn>=1.3"

backends:
	test -x $(BACKENDS_DIR)/jax/bin/python || $(PYTHON) -m venv $(BACKENDS_DIR)/jax
	$(BACKENDS_DIR)/jax/bin/python -m pip install --quiet $(BACKEND_DEPS)
	$(BACKENDS_DIR)/jax/bin/python -m pip install --quiet --no-deps -e .
	@if $(BACKENDS_DIR)/jax/bin/python -c "import tensorflow" 2>/dev/null; then \
	  echo "TensorFlow is installed in $(BACKENDS_DIR)/jax: this check needs a venv without it"; \
	  exit 1; fi
	KERAS_BACKEND=jax $(BACKENDS_DIR)/jax/bin/python -m pytest -q -n $(PYTEST_WORKERS) \
	  -m "not slow" -p no:cacheprovider $(BACKEND_TESTS)
	KERAS_BACKEND=jax $(BACKENDS_DIR)/jax/bin/python -m pytest -q -p no:cacheprovider \
	  tests/test_import.py  # its slow test too: kerasguide on JAX never imports TensorFlow

lint: install
	$(BIN)/ruff check kerasguide tests
	$(BIN)/ruff format --check kerasguide tests
	$(BIN)/mypy --strict kerasguide

# Every notebook on a fresh kernel, through pytest and nbmake. Copies run under
# build/notebooks/ and are written back with their outputs (--overwrite), which the
# course site is made from; notebooks/ itself is left untouched.
# KERASGUIDE_FAST=1 shortens training: `make notebooks KERASGUIDE_FAST=0` trains
# fully. NOTEBOOK_TIMEOUT is nbmake's limit per cell, in seconds.
KERASGUIDE_FAST ?= 1
NOTEBOOK_TIMEOUT ?= 120
NOTEBOOK_OUT := build/notebooks

notebooks: install
	rm -rf $(NOTEBOOK_OUT) && mkdir -p $(NOTEBOOK_OUT) && cp notebooks/*.ipynb $(NOTEBOOK_OUT)/
	env -u MPLBACKEND KERASGUIDE_FAST=$(KERASGUIDE_FAST) $(BIN)/python -m pytest --nbmake \
	  --overwrite -n $(PYTEST_WORKERS) --nbmake-timeout=$(NOTEBOOK_TIMEOUT) -p no:cacheprovider \
	  $(NOTEBOOK_OUT); status=$$?; \
	KERASGUIDE_EXECUTED_NOTEBOOKS=$(NOTEBOOK_OUT) $(BIN)/python -m pytest -q -p no:xdist \
	  -p no:cacheprovider tests/test_notebooks.py -k executed && exit $$status

# The course website in build/site/ (mkdocs-material and mkdocs-jupyter, see mkdocs.yml):
# a landing page, the lessons with their outputs, the guide (docs/guide-*.md) and the API
# reference made from the docstrings (docs/api.md, mkdocstrings). Every
# notebook runs in full (KERASGUIDE_FAST=0) under build/site-notebooks/, then the site is
# opened in headless Chromium (tests/test_site.py; screenshots in build/site-shots/) and
# its API reference checked against kerasguide.__all__ (tests/test_site_api.py).
# SITE_TIMEOUT is nbmake's limit per cell, in seconds.
SITE_TIMEOUT ?= 1200
SITE_NOTEBOOKS ?= build/site-notebooks
SITE_DIR ?= build/site
SITE_SRC := build/site-src

site: dist
	rm -rf $(SITE_NOTEBOOKS) build/site-files && mkdir -p $(SITE_NOTEBOOKS)
	cp notebooks/*.ipynb $(SITE_NOTEBOOKS)/
	env -u MPLBACKEND KERASGUIDE_FAST=0 KERASGUIDE_OUTPUT=$(CURDIR)/build/site-files \
	  $(BIN)/python -m pytest --nbmake --overwrite -n $(PYTEST_WORKERS) \
	  --nbmake-timeout=$(SITE_TIMEOUT) -p no:cacheprovider $(SITE_NOTEBOOKS)
	KERASGUIDE_EXECUTED_NOTEBOOKS=$(SITE_NOTEBOOKS) $(BIN)/python -m pytest -q -p no:xdist \
	  -p no:cacheprovider tests/test_notebooks.py -k executed
	$(MAKE) --no-print-directory site-pages SITE_NOTEBOOKS=$(SITE_NOTEBOOKS) SITE_DIR=$(SITE_DIR)
	KERASGUIDE_SITE=$(SITE_DIR) KERASGUIDE_SITE_FULL_SHOTS=1 $(BIN)/python -m pytest -q \
	  -p no:xdist -p no:cacheprovider tests/test_site.py tests/test_site_api.py

# The pages alone, from notebooks already executed in SITE_NOTEBOOKS.
# The wheel of `make dist` goes on the site, in dist/: each lesson's install cell installs
# it from the site's address (site_url in mkdocs.yml, or KERASGUIDE_SITE_URL).
site-pages: install
	@ls $(DIST)/kerasguide-*.whl >/dev/null 2>&1 || { echo "no wheel in $(DIST)/: make dist"; exit 1; }
	rm -rf $(SITE_SRC) $(SITE_DIR) && mkdir -p $(SITE_SRC)/notebooks $(SITE_SRC)/dist
	cp docs/*.md $(SITE_SRC)/ && cp $(SITE_NOTEBOOKS)/*.ipynb $(SITE_SRC)/notebooks/
	cp docs/*.png $(SITE_SRC)/  # the guide's pictures
	cp $(DIST)/kerasguide-*.whl $(SITE_SRC)/dist/
	$(BIN)/mkdocs build --quiet --strict -f mkdocs.yml -d $(CURDIR)/$(SITE_DIR)

# In `make test`: the site made from `make notebooks`'s fast-mode run, in the browser.
site-check: notebooks dist
	$(MAKE) --no-print-directory site-pages SITE_NOTEBOOKS=$(NOTEBOOK_OUT) SITE_DIR=build/site-fast
	KERASGUIDE_SITE=build/site-fast $(BIN)/python -m pytest -q -p no:xdist -p no:cacheprovider \
	  tests/test_site.py tests/test_site_api.py

bench: install
	$(BIN)/python -m pytest tests/benchmarks -p no:xdist -p no:cacheprovider -s -q -o addopts="" -o python_files="bench_*.py"

# Every model of keras.applications and the suite's own models through to_spec, to_code,
# check_summary, explain and plot_model, one process; a table, and exit 1 if anything
# failed or came back silently different (issue 9). CONFORMANCE_MODELS picks some.
# Then the tests marked `sweep` (`make test` runs a representative few of each): the
# application models of the parse, blocks, folding, lint and conformance tests, and every
# model of the collection (tests/model_collection.py).
CONFORMANCE_MODELS ?=

conformance: install
	$(BIN)/python -m tests.conformance $(CONFORMANCE_MODELS)
	$(PYTEST) -m sweep

# kg.lint on every keras.applications model (weights=None, default input size), as
# shipped and compiled: each hint on these correct models is a false alarm.
lint-applications: install
	$(BIN)/python -m tests.lint_applications

# A long fuzzing campaign of the public API (a few hundred cases run in `make test`):
# seven targets of FUZZ_EXAMPLES cases each, plus a build (and to_code) of every spec
# that loads, so over 20,000 cases at the default; it prints their counts and fails on
# any escape from the error tree. FUZZ_SEED draws other cases than the fixed ones.
FUZZ_EXAMPLES ?= 3000
FUZZ_SEED ?=
fuzz: install
	KERASGUIDE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) KERASGUIDE_FUZZ_SEED=$(FUZZ_SEED) \
	  $(BIN)/python -m pytest tests/test_fuzz.py -p no:xdist -p no:cacheprovider -q -s

clean:
	rm -rf build $(DIST) .pytest_cache .mypy_cache .ruff_cache
