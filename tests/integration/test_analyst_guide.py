"""docs/analysts.md: every SQL example runs, read-only, on the published warehouse of a fresh build
and answers with rows; the guide names every published mart and score table."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "analysts.md"
EXAMPLES = re.findall(r"```sql\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)


@pytest.fixture(scope="module")
def published(built_warehouse) -> Path:
    pointer = built_warehouse.parent / "published" / "atlas.duckdb"
    assert pointer.is_symlink(), "the build published nothing"
    return pointer


def test_the_guide_answers_at_least_ten_questions_in_sql():
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize("number", range(1, len(EXAMPLES) + 1))
def test_each_sql_example_of_the_guide_runs_on_the_published_warehouse(published, number):
    sql = EXAMPLES[number - 1]
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute(sql).fetchall()
    assert rows, f"example {number} returned no rows:\n{sql}"


def test_the_guide_names_every_published_mart_and_score_table(published):
    text = GUIDE.read_text(encoding="utf-8")
    with duckdb.connect(str(published), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN ('marts', 'scoring') ORDER BY 1"
        ).fetchall()
    missing = [t for (t,) in tables if f"`{t}`" not in text]
    assert not missing, f"docs/analysts.md does not mention {missing}"


def test_the_duckdb_cli_command_of_the_guide_opens_the_file_read_only(published):
    assert "duckdb -readonly warehouse/published/atlas.duckdb" in GUIDE.read_text(encoding="utf-8")
    with duckdb.connect(str(published), read_only=True) as con, pytest.raises(duckdb.Error):
        con.execute("CREATE TABLE marts.should_not_exist AS SELECT 1")
