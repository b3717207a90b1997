# One way to run everything. `make demo` and `make test` are the README's quick start:
# each sets up what it needs on a fresh machine first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
AUDIT  := tests/e2e/http_audit
PYTEST_ARGS ?=

.PHONY: install demo serve test lint typecheck check bench clean

$(BIN)/channelhub: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

$(AUDIT)/node_modules: $(AUDIT)/package-lock.json
	npm ci --prefix $(AUDIT) --no-audit --no-fund --loglevel=error
	@touch $@

install: $(BIN)/channelhub $(AUDIT)/node_modules

demo: $(BIN)/channelhub
	$(BIN)/channelhub demo

serve: $(BIN)/channelhub
	$(BIN)/channelhub serve

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(BIN)/channelhub
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(BIN)/channelhub
	$(BIN)/mypy .

check: lint typecheck

clean:
	rm -rf $(VENV) $(AUDIT)/node_modules .mypy_cache .ruff_cache .pytest_cache

# Graph vs plain-SQL floor on PostgreSQL (database channelhub_bench, seeded at scale large once),
# then 1,000 partners' encrypted fields (masked) vs plain columns (channelhub_bench_encryption),
# then 10,000 records read and mapped from local REST and SOAP stubs vs bare json/lxml parsing,
# then NetSuite's WSDL parsed vs loaded from the disk and memory caches.
# Last: sales trends and partner ranking on 1M order lines vs the bare SQL aggregate
# (channelhub_bench_analytics, seeded once in PostgreSQL with generate_series).
# BENCH_ARGS passes options to the first, e.g. make bench BENCH_ARGS="--requests 500 --json".
BENCH_ARGS ?=
bench: $(BIN)/channelhub
	$(BIN)/python bench/graph_nested.py $(BENCH_ARGS)
	$(BIN)/python bench/encryption_read.py
	$(BIN)/python bench/connector_read.py
	$(BIN)/python -m bench.wsdl_cache
	$(BIN)/python bench/sync_throughput.py
	$(BIN)/python bench/analytics.py
