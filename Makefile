# Two commands for a fresh machine with Python 3.11+: `make run` and `make test`.
# Both create .venv with the locked dependencies (uv.lock) first.

PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
INSTALLED := .venv/.installed
# Test processes (pytest-xdist): each gets its own database on the same server.
TEST_WORKERS ?= 2
# Reliability drills to run (all by default) and their scale: full, or short (CI).
DRILLS ?=
DRILL_SCALE ?= full

.PHONY: run test fuzz drills lint format openapi clients worker migrate clean

run: $(INSTALLED)  ## Start the API on http://127.0.0.1:8000 (embedded PostgreSQL unless MANAGER_DATABASE_URL)
	.venv/bin/manager serve

test: $(INSTALLED)  ## Run the whole test suite (MANAGER_TEST_DATABASE_URL, or an embedded server)
	.venv/bin/pytest -n $(TEST_WORKERS)

fuzz: $(INSTALLED)  ## Schemathesis over the served document, as a member then anonymously (tests/fuzz)
	.venv/bin/python -m tests.fuzz.run

drills: $(INSTALLED)  ## Reliability drills (drills/): restart, kill, exhaustion, replicas, pgbouncer, soak, backups
	DRILL_SCALE=$(DRILL_SCALE) .venv/bin/python -m drills $(DRILLS)

lint: $(INSTALLED)  ## Linters, formatter check, types, import contracts, Dockerfile
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/lint-imports
	.venv/bin/hadolint Dockerfile

format: $(INSTALLED)
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

openapi: $(INSTALLED)  ## Regenerate openapi/openapi.json
	.venv/bin/manager openapi

clients: $(INSTALLED)  ## Generate the Python client and TypeScript types from openapi/openapi.json, and build them
	bash .ci/clients

worker: $(INSTALLED)
	.venv/bin/manager worker

migrate: $(INSTALLED)
	.venv/bin/manager migrate

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

$(INSTALLED): $(UV) pyproject.toml uv.lock
	UV_PYTHON_DOWNLOADS=never $(UV) sync --locked --python "$$(command -v $(PYTHON))"
	touch $@

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache
