# KeyDesk: `make run` starts the product on SQLite with demo data; `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CATALOG := web/translations/zh/LC_MESSAGES/messages
NPM := node_modules/.package-lock.json
MODELER := web/static/build/modeler.js

.PHONY: install run test bench clean chromium slapd screenshots

# Reinstall only when the packaging files change.
$(INSTALLED): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(INSTALLED)

# The compiled Chinese catalog is built, not committed: the .po is the source. It is "zh" because Babel
# reads the users' zh_CN as zh_Hans_CN, which falls back to zh.
$(CATALOG).mo: $(CATALOG).po $(INSTALLED)
	$(BIN)/pybabel compile -d web/translations

# Front-end packages (htmx, Bootstrap, bpmn-js) exactly as package-lock.json pins them; the app serves them.
$(NPM): package-lock.json
	npm ci --no-audit --no-fund
	touch $(NPM)

# The modeller page's script: bpmn-js Modeler, its properties panel and KeyDesk's properties, bundled by esbuild.
$(MODELER): $(NPM) $(wildcard web/static/modeler/*)
	node_modules/.bin/esbuild web/static/modeler/index.js --bundle --minify --format=iife --target=es2020 \
		--loader:.woff=dataurl --loader:.woff2=dataurl --loader:.ttf=dataurl --loader:.eot=dataurl \
		--loader:.svg=dataurl --log-level=warning --outfile=$(MODELER)

install: $(INSTALLED) $(CATALOG).mo $(NPM) $(MODELER)

# The browser tests drive Debian's Chromium (with a Chinese font); install it where missing (as root), never a
# downloaded browser.
BROWSER_PACKAGES := chromium fonts-wqy-zenhei
chromium:
	@dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || apt-get install -y -q $(BROWSER_PACKAGES) \
		|| (apt-get update -q && apt-get install -y -q $(BROWSER_PACKAGES)) \
		|| echo "chromium could not be installed: browser tests will skip"

# The LDAP sign-in test starts Debian's OpenLDAP server itself; install it where missing (as root), unconfigured,
# so the package neither sets up a directory of its own nor starts a service.
LDAP_PACKAGES := slapd
slapd:
	@dpkg -s $(LDAP_PACKAGES) >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || { \
		echo "slapd slapd/no_configuration boolean true" | debconf-set-selections; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(LDAP_PACKAGES) \
		|| (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			$(LDAP_PACKAGES)); } || echo "slapd could not be installed: the LDAP sign-in test will skip"

run: install
	$(BIN)/python run.py serve --demo

test: install chromium slapd
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2  # two processes, one per core of the CI machine

# Pictures of the main pages for the README, taken by the browser tests.
screenshots: install chromium
	KEYDESK_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/test_browser.py -q
	KEYDESK_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/test_modeler_bundle_browser.py -q -k docs_picture

bench: install
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/timers.py
	$(BIN)/python bench/notifications.py
	$(BIN)/python bench/branches.py
	$(BIN)/python bench/reports.py
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache node_modules $(CATALOG).mo web/static/build
