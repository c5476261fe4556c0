# Closeloop: `make run` serves a seeded demo on http://127.0.0.1:8000; `make test` runs the whole suite.
# Both install what they need first: uv (into .tools/) and the locked dependencies (into .venv/); `make test` also
# Debian's chromium for the browser tests, where it is missing.
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
# Debian's chromium drives the browser tests (tests/e2e/); apt-get installs it, through sudo when not root.
CHROMIUM := chromium
APT_GET := $(if $(filter 0,$(shell id -u)),apt-get,sudo apt-get)

.PHONY: install run test lint typecheck bench browsers clean messages

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	UV_PYTHON=$(PYTHON) $(UV) sync --frozen --quiet
	touch $@

install: $(VENV)/.synced

run: install
	@mkdir -p var
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py seed_demo
	@echo ""
	@echo "  Closeloop:      http://127.0.0.1:8000/"
	@echo "  Local mailbox:  http://127.0.0.1:8000/dev/mailbox/"
	@echo "  API docs:       http://127.0.0.1:8000/api/docs/"
	@echo ""
	DEBUG=1 $(VENV)/bin/honcho -f Procfile.dev start

# The browser tests need chromium: installed first where it is missing. Where it cannot be (no apt), the suite
# still runs and the browser tests fail, saying so.
test: install
	@$(MAKE) --no-print-directory browsers || echo "chromium could not be installed: the browser tests will fail"
	@mkdir -p var
	$(PY) -m pytest $(PYTEST_ARGS)

# Bring the message catalogues in line with the code (new strings untranslated, unused ones dropped) and compile
# them: tests/i18n/catalogues.py. `make messages AREAS="feedback customers"` does only those areas.
messages: install
	$(PY) -m tests.i18n.catalogues $(AREAS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy with django-stubs over all apps (configuration: [tool.mypy] in pyproject.toml); not part of lint.
typecheck: install
	$(VENV)/bin/mypy customers feedback qms reports surveys

bench: install
	$(PY) -m pytest tests/bench -o python_files="bench_*.py" -s -q $(PYTEST_ARGS)

browsers:
	@command -v $(CHROMIUM) >/dev/null || { $(APT_GET) update -qq && $(APT_GET) install -y -qq chromium; }

clean:
	rm -rf $(VENV) $(TOOLS) var
