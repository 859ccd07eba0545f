# DSVDesk — two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR := .demo
DEMO_DB := $(DEMO_DIR)/demo.sqlite3
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint typecheck pytest demo bench bench-smoke bench-readme bundle clean check-libs

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { \
	  echo "DSVDesk needs Python 3.11 or newer; '$(PY)' is `$(PY) --version 2>&1`." ; \
	  echo "Install it (Debian/Ubuntu: sudo apt-get install python3 python3-venv) or run: make PY=python3.11 ..." ; exit 1; }
	@$(PY) -c 'import venv, ensurepip' 2>/dev/null || { \
	  echo "Python's venv module is missing. Fix: sudo apt-get install python3-venv"; exit 1; }
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'
	@touch $(STAMP)

# Qt needs a few system libraries even offscreen; name the apt line instead of failing obscurely.
check-libs: $(STAMP)
	@$(BIN)/python -m dsvdesk.syscheck

run: check-libs
	@$(BIN)/python -m dsvdesk.syscheck --display
	@test -f $(DEMO_DB) || $(BIN)/dsvdesk demo --fresh --db $(DEMO_DB)
	$(BIN)/dsvdesk --db $(DEMO_DB) --demo

demo: $(STAMP)
	$(BIN)/dsvdesk demo --fresh --db $(DEMO_DB)

lint: $(STAMP)
	$(BIN)/ruff check dsvdesk tests benchmarks setup.py
	$(BIN)/ruff format --check dsvdesk tests benchmarks setup.py
	$(BIN)/mypy

typecheck: lint

pytest: check-libs
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

test: check-libs lint pytest

bench: check-libs
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m benchmarks $(BENCH_ARGS)

bench-smoke: check-libs
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m benchmarks --smoke

# the READMEs' benchmark table from benchmarks/results.json (after `make bench`)
bench-readme: $(STAMP)
	$(BIN)/python -m benchmarks.readme_table

bundle: check-libs
	$(BIN)/pip install -q -e '.[bundle]'
	$(BIN)/pyinstaller --noconfirm --distpath dist --workpath build build_spec/dsvdesk.spec
	QT_QPA_PLATFORM=offscreen dist/dsvdesk/dsvdesk --version
	dist/dsvdesk/dsvdesk check-forms && dist/dsvdesk/dsvdesk forms list
	test -x dist/dsvdesk/dsvdesk-gui || test -f dist/dsvdesk/dsvdesk-gui.exe
	du -sh dist/dsvdesk

clean:
	rm -rf $(VENV) build dist .demo .pytest_cache .mypy_cache .ruff_cache
