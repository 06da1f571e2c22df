"""The session build's load log speaks for every raw table it landed: the raw integration tests read
a landing's figures (rows, flagged rows, flag counts, files) from it instead of landing again."""

from __future__ import annotations

import pytest

from ingestion.catalog import raw_tables


def test_the_build_landed_every_raw_table_of_the_catalog(raw_build):
    _, results = raw_build
    assert sorted(results) == sorted(t.name for t in raw_tables())


@pytest.mark.parametrize("table", raw_tables(), ids=lambda t: t.name)
def test_the_logged_load_describes_the_landed_table(raw_build, table):
    _, results = raw_build
    # the lookup checks the log row against the table's rows, flags and lineage, and its files
    # against the registry (tests/integration/conftest.py, BuildLoads)
    load = results[table.name]
    assert (load.table, load.dataset_id) == (table.name, table.dataset_id)
    assert load.rows > 0
