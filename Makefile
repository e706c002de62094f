# Supportal: `make run` starts the demo on http://127.0.0.1:$(PORT); `make test` runs the suite.
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MANAGE := $(BIN)/python manage.py
# Commands that need no real key (compiling catalogues, checking migrations) get a throwaway one.
TOOL := SECRET_KEY=$${SECRET_KEY:-make-tools-only-not-a-secret} $(MANAGE)

.PHONY: static run test test-fast test-image install translations messages lint mypy-baseline format migrations-check clean

# uv (pinned, from PyPI, into the environment itself) installs the requirements in about half
# pip's CPU time and a third of its wall time (docs/architecture.md, "Eighth round: the
# pipeline"); where uv cannot be installed or fails, pip installs them as before. Both compile
# the modules unless told not to (below): where PYTHONDONTWRITEBYTECODE is set, nothing else
# would, and every process would compile what it imports again.
UV_VERSION := 0.13.9
# `make install COMPILE=` leaves the compiling to the processes that import the modules, for
# where bytecode may be written (.ci/run: docs/architecture.md, "Nineteenth round: the
# pipeline").
COMPILE ?= --compile-bytecode
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
UV := $(BIN)/uv pip install --quiet --python $(BIN)/python $(COMPILE)
$(STAMP): requirements/dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Supportal needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	if $(PIP) uv==$(UV_VERSION) && $(UV) -r requirements/dev.txt && $(UV) --no-deps -e .; then :; \
	else echo "uv could not install the requirements: pip installs them"; \
	  $(PIP) -r requirements/dev.txt && $(PIP) --no-deps -e .; fi
	touch $(STAMP)

install: $(STAMP)

# The compiled catalogues are files made from the .po files: `make test` and `make run` start
# Django to compile them only when one is missing or older than its catalogue (1.5 s each time
# otherwise; docs/architecture.md, "Eighteenth round: the pipeline"). The command compiles every
# stale catalogue, so the first missing one brings the rest up to date.
CATALOGUES := $(wildcard supportal/locale/*/LC_MESSAGES/*.po)
translations: $(CATALOGUES:.po=.mo)

$(CATALOGUES:.po=.mo): %.mo: %.po | $(STAMP)
	$(TOOL) compile_translations

# Developers: refresh the catalogues after changing strings (needs GNU gettext's xgettext).
messages: $(STAMP)
	$(TOOL) makemessages --locale ro --locale cs --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'build/*'
	$(TOOL) makemessages --domain djangojs --locale ro --locale cs --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'build/*'

run: export DEBUG ?= 1
run: export PORT := $(PORT)
run: install translations
	$(MANAGE) migrate --no-input
	$(MANAGE) collectstatic --no-input --verbosity 0
	$(MANAGE) load_demo --once
	$(MANAGE) serve --port $(PORT)

# The whole suite, in parallel (pytest-xdist: one process per core, each with its own test
# database). TEST_JOBS=0 runs it in one process; ARGS adds pytest arguments. At most four tests
# wait on a worker at any time (config/pytest_schedule.py), so that no worker is left with a
# long tail of slow tests while the others wait (docs/architecture.md, "Tests and their time").
TEST_JOBS ?= auto
XDIST := -n $(TEST_JOBS) --maxschedchunk 4
test: install translations
	$(BIN)/pytest $(XDIST) $(ARGS)

# The suite without the slow tests (browser, threads, subprocesses, servers): for quick feedback.
test-fast: install translations
	$(BIN)/pytest $(XDIST) -m "not slow" $(ARGS)

# The container image: build it, then run compose.yaml's services from it against this machine's
# PostgreSQL and Redis (supportal/core/tests/test_image.py; docs/deploy.md).
IMAGE ?= supportal:test
test-image: install
	docker build -t $(IMAGE) .
	SUPPORTAL_TEST_IMAGE=$(IMAGE) $(BIN)/pytest -n 0 supportal/core/tests/test_image.py $(ARGS)

# mypy with django-stubs; mypy-baseline.txt lists the errors the code had when the check came in.
# A new error fails; a fixed one is fine: `make mypy-baseline` then shrinks the list.
MYPY := SECRET_KEY=$${SECRET_KEY:-make-tools-only-not-a-secret} $(BIN)/mypy supportal config
# mypy-baseline.txt is empty: every module is clean and stays so (docs/architecture.md, "Types").
MYPY_CLEAN_CHECK := ! grep -v -E '^$$' mypy-baseline.txt \
	|| { echo "mypy-baseline.txt must stay empty: fix the error (docs/architecture.md, Types)"; exit 1; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python scripts/citations.py
	$(BIN)/python scripts/long_functions.py
	@mkdir -p var
	$(MYPY) > var/mypy.txt || test $$? -eq 1 || { cat var/mypy.txt; exit 2; }
	$(BIN)/mypy-baseline filter < var/mypy.txt
	@$(MYPY_CLEAN_CHECK)

mypy-baseline: install
	@mkdir -p var
	$(MYPY) > var/mypy.txt || test $$? -eq 1 || { cat var/mypy.txt; exit 2; }
	$(BIN)/mypy-baseline sync < var/mypy.txt
	@$(MYPY_CLEAN_CHECK)

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(TOOL) makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var/test.sqlite3*

# Benchmarks (docs/performance.md). The generated database of a size is kept and reused:
# PostgreSQL database bench_$(SIZE), or var/bench/$(SIZE).sqlite3; delete var/bench/$(DB)-$(SIZE).json
# to generate it again. BENCH_ARGS go to the HTTP runner (e.g. BENCH_ARGS="--duration 5").
SIZE ?= 10k
DB ?= postgres
BENCH_PG ?= postgres://postgres@127.0.0.1:5432
BENCH_STAMP := var/bench/$(DB)-$(SIZE).json
ifeq ($(DB),postgres)
BENCH_URL := $(BENCH_PG)/bench_$(SIZE)
else
BENCH_URL := sqlite:///$(CURDIR)/var/bench/$(SIZE).sqlite3
endif
CI_BENCH_URL := sqlite:///$(CURDIR)/var/bench/ci.sqlite3

.PHONY: bench bench-ci bench-live

bench: install translations static
	@mkdir -p var/bench
	bash scripts/wrk_install.sh
	test -f $(BENCH_STAMP) || DATABASE_URL=$(BENCH_URL) $(BIN)/python -m bench.generate --fresh --size $(SIZE) --stamp $(BENCH_STAMP)
	DATABASE_URL=$(BENCH_URL) $(BIN)/python -m bench.inprocess --label $(DB)-$(SIZE)
	DATABASE_URL=$(BENCH_URL) $(BIN)/python -m bench.run --label $(DB)-$(SIZE) $(BENCH_ARGS)

# The pages render with DEBUG off, as in production: they need the collected static files.
static: install
	$(TOOL) collectstatic --no-input --verbosity 0

# CI: 10,000 tickets on SQLite; fails when a page runs more queries than bench/expected_queries.json.
bench-ci: install translations static
	@mkdir -p var/bench
	DATABASE_URL=$(CI_BENCH_URL) $(BIN)/python -m bench.generate --fresh --size 10k \
	  $(if $(SUPPORTAL_TEST_CHILDREN_DIR),--migrated-from $(SUPPORTAL_TEST_CHILDREN_DIR))
	DATABASE_URL=$(CI_BENCH_URL) $(BIN)/python -m bench.inprocess --quick --check --label ci

# Live updates (docs/workspace.md): 200 server-sent event streams held against run_web, with the
# polling fallback measured too. Needs Redis; LIVE_DB=sqlite for var/bench/live.sqlite3.
LIVE_DB ?= postgres
LIVE_REDIS ?= redis://127.0.0.1:6379/0
ifeq ($(LIVE_DB),postgres)
LIVE_URL := $(BENCH_PG)/bench_live
else
LIVE_URL := sqlite:///$(CURDIR)/var/bench/live.sqlite3
endif
bench-live: install translations static
	@mkdir -p var/bench
	$(if $(filter postgres,$(LIVE_DB)),createdb -h 127.0.0.1 -U postgres bench_live 2>/dev/null || true)
	REDIS_URL=$(LIVE_REDIS) DATABASE_URL=$(LIVE_URL) $(BIN)/python -m bench.live --poll --label $(LIVE_DB) $(BENCH_ARGS)
