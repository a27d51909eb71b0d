# The two set-up commands are `make run` and `make test`; both install what they need.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test lint format worker install browser messages bench clean

# --- installation ----------------------------------------------------------
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || $(MAKE) --no-print-directory apt-nodejs
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

# Chromium for the browser tests, from Debian's packages (root only; otherwise say how).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Browser tests need Chromium: run 'sudo apt-get install chromium' (they are skipped until then)."; \
	  fi; \
	fi

apt-nodejs:
	@if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	else echo "npm is needed for the front-end assets: run 'sudo apt-get install nodejs npm'."; exit 1; fi

# --- everyday commands -------------------------------------------------------
run: install
	mkdir -p var
	$(MANAGE) migrate --noinput
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v0 || true
	$(MANAGE) seed_demo --if-empty
	@echo "Demo logins:"; cat var/demo_logins.txt 2>/dev/null || echo "  (see var/demo_logins.txt; run '$(MANAGE) seed_demo' to create users)"
	@echo "Starting the Celery worker (with beat) and the web server on http://$(HOST):$(PORT)/ ..."
	@# bin/run stops both within 10 s of Ctrl-C or SIGTERM (see its header).
	@HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) exec bin/run

worker: install
	$(BIN)/celery -A crm_project worker --beat --loglevel=INFO

test: install browser
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v0 || true
	$(BIN)/pytest
	@# RFM scoring must give the same answer on both databases: against another
	@# database (PostgreSQL in CI), run its rule tests on the embedded SQLite as well.
	@if [ -n "$$DATABASE_URL" ]; then \
	  echo "RFM scoring rules again on SQLite:"; \
	  env -u DATABASE_URL $(BIN)/pytest -q analytics/tests/test_scoring.py; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install
	$(MANAGE) makemessages -l tr --ignore=.venv --ignore=node_modules --ignore=var
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache

# Speed figures at volume (see each command's help). Uses the configured database.
bench: install
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) seed_demo --if-empty --customers 100
	$(MANAGE) bench_customers --customers $${BENCH_CUSTOMERS:-100000}
	$(MANAGE) bench_orders --fresh --rows $${BENCH_ORDERS:-1000000}
	$(MANAGE) bench_search --customers $${BENCH_CUSTOMERS:-100000} --orders $${BENCH_ORDERS:-1000000}
	$(MANAGE) bench_rfm --customers $${BENCH_RFM_CUSTOMERS:-1000000} --orders $${BENCH_RFM_ORDERS:-10000000}
	$(MANAGE) bench_clv --customers $${BENCH_CLV_CUSTOMERS:-1000000} --orders $${BENCH_CLV_ORDERS:-10000000}
	$(MANAGE) bench_lists --customers $${BENCH_LIST_CUSTOMERS:-1000000}
	$(MANAGE) bench_api --customers $${BENCH_LIST_CUSTOMERS:-1000000}
	$(MANAGE) bench_support --tickets $${BENCH_TICKETS:-100000}
	$(MANAGE) bench_segments --customers $${BENCH_SEGMENT_CUSTOMERS:-1000000}
	$(MANAGE) bench_campaign --recipients $${BENCH_RECIPIENTS:-100000} --opted-out $${BENCH_OPTED_OUT:-1000}
	$(MANAGE) bench_webhooks --events $${BENCH_WEBHOOK_EVENTS:-10000}
