# Cockpit — every target sets up what it needs (a .venv with pinned dependencies).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench lint lock clean sandbox

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Cockpit needs Python 3.11 or newer (found " + sys.version.split()[0] + ")")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml constraints.txt
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)  ## start the TUI in the current folder
	$(VENV)/bin/cockpit $(ARGS)

# bubblewrap, the OS sandbox for commands: the sandbox tests run through the real one. Installed
# when missing and we are root (CI is Debian, as root); otherwise those tests say why they skip.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null)
	@command -v bwrap >/dev/null 2>&1 || echo "bubblewrap (bwrap) is not installed: the sandbox tests will skip"

# The suite runs on every core (pytest-xdist, work stealing): TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto

test: $(STAMP) sandbox  ## the whole suite: unit, storage, loop, e2e over loopback HTTP, TUI, architecture
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

bench: $(STAMP) sandbox  ## benchmarks; each prints ratios against a baseline measured in the same run
	$(PY) -m benchmarks

lint: $(STAMP)  ## import-linter contracts, then mypy strict on the strict set ([tool.mypy] in pyproject.toml)
	$(VENV)/bin/lint-imports
	$(PY) -m tests.support.typecheck

lock: $(PY)  ## refresh constraints.txt from a fresh resolution
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache
