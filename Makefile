# Thin verbs around the project. `make run` and `make test` are the two commands of the README.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false

.PHONY: help run spark bench test test-fast dev docs prepare datasets report published rollback validate lint clean

.DEFAULT_GOAL := help

## help: this list of verbs (`make` alone shows it)
help:
	@grep -E '^## [a-z-]+:' $(MAKEFILE_LIST) | sed -E 's/^## ([a-z-]+): /\1\t/' | expand -t 12

# The virtual environment, installed from the lock file (wheels only: nothing builds from source,
# except pyspark, which PyPI publishes only as a pure-Python source archive, so it is installed
# from that archive; docs/operations.md), then the pinned npm packages of the offline data docs
# (CSS, scripts, fonts; hash-checked, kept in .cache/web-assets/).
$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11) on PATH, or make PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --only-binary :all: --no-binary pyspark -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m quality.web_assets
	touch $(STAMP)

venv: $(STAMP)

## run: land every source, build the dbt warehouse, score it (warehouse/atlas.duckdb)
run: $(STAMP)
	$(PY) -m orchestration run $(if $(SELECT),--select '$(SELECT)')

## spark: build the dbt project on Spark (local mode) from the landed Parquet, score it (docs/scale-out.md)
spark: $(STAMP)
	$(PY) -m orchestration spark

## bench: the pipeline cold and incremental, per stage against its floor (FACTORS="1 10 100" to scale; docs/benchmarks.md)
bench: $(STAMP)
	$(PY) -m benchmarks.pipeline $(if $(FACTORS),--factors $(FACTORS)) $(if $(DRAWS),--draws $(DRAWS))

## test: generated dbt staging up to date, then unit, fault and integration tests (integration tests need ATLAS_MIRROR)
test: $(STAMP)
	$(PY) dbt_project/generate_staging.py --check
	$(PY) -m orchestration prepare
	$(PY) -m pytest $(PYTEST_ARGS)

## test-fast: generated dbt staging up to date, then the unit tests only (no pipeline run; about half a minute on 2 cores)
test-fast: $(STAMP)
	$(PY) dbt_project/generate_staging.py --check
	$(PY) -m orchestration prepare
	$(PY) -m pytest tests/unit -q $(PYTEST_ARGS)

## dev: the Dagster UI on http://127.0.0.1:3000
dev: $(STAMP)
	$(PY) -m orchestration prepare
	$(PY) -m orchestration dev --port 3000

## docs: the dbt docs (models, columns, tests, lineage) of the build warehouse, served offline on http://127.0.0.1:8080
docs: $(STAMP)
	$(PY) -m orchestration prepare
	cd dbt_project && DO_NOT_TRACK=1 ../$(VENV)/bin/dbt docs generate --quiet --static --profiles-dir . --target duckdb
	@echo "dbt docs: http://127.0.0.1:8080/static_index.html (one self-contained page: dbt_project/target/static_index.html); Ctrl-C stops"
	$(PY) -m http.server 8080 --bind 127.0.0.1 --directory dbt_project/target

## prepare: parse the dbt project (writes the manifest the Dagster definitions need)
prepare: $(STAMP)
	$(PY) -m orchestration prepare

## datasets: when each dataset was loaded, from which file and checksum, how many rows flagged
datasets: $(STAMP)
	$(PY) -m orchestration datasets

## published: the published versions, newest first (* = the one readers see)
published: $(STAMP)
	$(PY) -m orchestration published

## rollback: point the published warehouse back at a version, e.g. make rollback ID=<publish_id>
rollback: $(STAMP)
	@test -n "$(ID)" || { echo "usage: make rollback ID=<publish_id> (see make published)"; exit 1; }
	$(PY) -m orchestration rollback '$(ID)'

## validate: run the Great Expectations suites on the build warehouse, write warehouse/data_docs/
validate: $(STAMP)
	$(PY) -m orchestration validate

## report: top of the Canadian and UK priority lists and the UK replication table
report: $(STAMP)
	$(PY) -m orchestration report

## lint: ruff on every package, benchmarks and tests
lint: $(STAMP)
	$(VENV)/bin/ruff check ingestion scoring orchestration reporting publishing quality engines benchmarks tests

## clean: delete what runs create (warehouse, exports, Dagster home, dbt target and logs, benchmark and test output); keeps .venv and the download cache
clean:
	rm -rf warehouse exports .dagster_home dbt_project/target dbt_project/logs benchmarks/work test-artifacts
