"""The content hash of a published table (publishing.publish.content_hash) is an order-independent
sum of row hashes (issue 18): the same rows in any order hash the same, with no sort; any change of
a value, a row, a duplicate or a column changes it; floating-point noise below 9 significant digits
does not (tests/faults/test_content_hash_faults.py has the rounding-boundary cases)."""

from __future__ import annotations

import duckdb
import pytest

from publishing.publish import content_hash, exact_digest

ROWS = [("a", 1, 0.25, True), ("b", 2, 1 / 3, False), ("c", None, 2.5e-7, None), ("d", 4, -0.0, True)]


@pytest.fixture
def con():
    con = duckdb.connect()
    for name in ("t", "u"):
        con.execute(f"CREATE TABLE {name} (k VARCHAR, n BIGINT, x DOUBLE, flag BOOLEAN)")
    return con


def fill(con, table: str, rows) -> None:
    con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", [list(r) for r in rows])


def test_the_same_rows_in_another_order_hash_the_same(con):
    fill(con, "t", ROWS)
    fill(con, "u", reversed(ROWS))
    assert content_hash(con, "t") == content_hash(con, "u")
    assert content_hash(con, "t")[0] == len(ROWS)


def test_a_large_table_hashes_the_same_however_its_rows_are_stored():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT i AS id, 'k' || (i % 97) AS k, i / 7 AS x FROM range(200000) r(i)")
    con.execute("CREATE TABLE u AS SELECT * FROM t ORDER BY hash(id)")  # a shuffled copy
    assert content_hash(con, "t") == content_hash(con, "u")


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE u SET n = 3 WHERE k = 'b'",  # an integer
        "UPDATE u SET x = 0.2500001 WHERE k = 'a'",  # a float in its 7th digit
        "UPDATE u SET k = 'e' WHERE k = 'd'",  # a text
        "UPDATE u SET n = NULL WHERE k = 'a'",  # a value to null
        "UPDATE u SET flag = NOT flag WHERE k = 'a'",
        "DELETE FROM u WHERE k = 'c'",  # a row less
        "INSERT INTO u VALUES ('a', 1, 0.25, TRUE)",  # a duplicated row
    ],
)
def test_a_changed_value_or_row_changes_the_hash(con, change):
    fill(con, "t", ROWS)
    fill(con, "u", ROWS)
    assert content_hash(con, "t") == content_hash(con, "u")
    con.execute(change)
    assert content_hash(con, "t") != content_hash(con, "u")


def test_duplicates_do_not_cancel_out(con):
    # with an xor of row hashes, two copies of a row would hash like none
    fill(con, "t", [ROWS[0], ROWS[1], ROWS[1]])
    fill(con, "u", [ROWS[0], ROWS[2], ROWS[2]])
    assert content_hash(con, "t") != content_hash(con, "u")


def test_values_swapped_between_columns_or_rows_change_the_hash():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a', 'b'), ('c', 'd')) v(p, q)")
    con.execute("CREATE TABLE u AS SELECT * FROM (VALUES ('b', 'a'), ('c', 'd')) v(p, q)")
    con.execute("CREATE TABLE w AS SELECT * FROM (VALUES ('a', 'd'), ('c', 'b')) v(p, q)")
    digests = {content_hash(con, name)[1] for name in ("t", "u", "w")}
    assert len(digests) == 3


def test_column_names_and_types_count_empty_tables_too():
    con = duckdb.connect()
    con.execute("CREATE TABLE t (a BIGINT)")
    con.execute("CREATE TABLE u (b BIGINT)")
    con.execute("CREATE TABLE w (a INTEGER)")
    assert content_hash(con, "t") == (0, content_hash(con, "t")[1])
    assert len({content_hash(con, name)[1] for name in ("t", "u", "w")}) == 3


def test_the_hash_is_deterministic_across_connections(tmp_path):
    path = tmp_path / "x.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t (k VARCHAR, n BIGINT, x DOUBLE, flag BOOLEAN)")
        fill(con, "t", ROWS)
        first = content_hash(con, "t")
    with duckdb.connect(str(path), read_only=True) as con:
        assert content_hash(con, "t") == first


def test_rounding_each_distinct_float_once_sums_the_same_row_hashes_as_rounding_every_value():
    """Issue 18: content_hash_query rounds each distinct floating-point value once and joins it back
    (at 100x, 27 million task rows hold at most 65 distinct values per column). The rows it hashes
    must be those of rounding every value in its row (rounded_select, the path it replaced): the
    same count and sum, on values at every edge of the rounding."""
    from publishing.publish import content_hash_query, hashed_columns, rounded_select

    con = duckdb.connect()
    con.execute("CREATE TABLE t (k VARCHAR, x DOUBLE, y REAL, n BIGINT, z DOUBLE)")
    edges = [0.0, -0.0, None, float("nan"), float("inf"), float("-inf"), 3.5026710249999997, 3.502671025,
             1 / 3, -2.5e-300, 1e300, 0.1 + 0.2, 123456789.5, 5e-324]
    reals = [0.0, -0.0, None, float("nan"), float("inf"), 0.1, 1 / 3, 2.5e-7, 16777217.0]
    rows = [(f"r{i}", edges[i % len(edges)], reals[(3 * i) % len(reals)], i % 3, edges[(5 * i + 1) % len(edges)])
            for i in range(60)]
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", rows + rows[:7])  # and some duplicated rows
    columns, _ = hashed_columns(con, "t")
    reference = con.execute(
        f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM (SELECT {rounded_select(columns)} FROM t) AS t").fetchone()
    assert con.execute(content_hash_query("t", columns)).fetchone() == reference
    assert reference[0] == 67
    # a table without floating-point columns has no lookup to join
    con.execute("CREATE TABLE u AS SELECT k, n FROM t")
    columns, _ = hashed_columns(con, "u")
    assert con.execute(content_hash_query("u", columns)).fetchone() == con.execute(
        f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM (SELECT {rounded_select(columns)} FROM u) AS t").fetchone()


def test_a_column_named_like_the_rows_alias_is_hashed_with_its_row():
    """A column called t (the alias the hash used to give the row) is one column among the others."""
    con = duckdb.connect()
    con.execute("CREATE TABLE a AS SELECT * FROM (VALUES (1, 'x'), (2, 'y')) v(t, k)")
    con.execute("CREATE TABLE b AS SELECT * FROM (VALUES (1, 'x'), (2, 'z')) v(t, k)")
    assert content_hash(con, "a") != content_hash(con, "b")


def test_the_exact_digest_sees_what_the_content_hash_forgives_and_ignores_row_order():
    con = duckdb.connect()
    con.execute("CREATE TABLE a AS SELECT * FROM (VALUES (1, 0.1::DOUBLE, 'r1'), (2, 0.2::DOUBLE, 'r1')) t(k, x, run_id)")
    con.execute("CREATE TABLE reordered AS SELECT * FROM a ORDER BY k DESC")
    con.execute("CREATE TABLE last_bit AS SELECT k, CASE WHEN k = 1 THEN nextafter(x, 1.0) ELSE x END AS x, run_id FROM a")
    con.execute("CREATE TABLE other_run AS SELECT k, x, 'r2' AS run_id FROM a")
    con.execute("CREATE TABLE wider AS SELECT k::BIGINT AS k, x, run_id FROM a")
    con.execute("CREATE TABLE doubled AS SELECT * FROM a UNION ALL SELECT * FROM a WHERE k = 1")
    digest = {t: exact_digest(con, t) for t in ("a", "reordered", "last_bit", "other_run", "wider", "doubled")}
    assert digest["reordered"] == digest["a"]
    assert len({digest[t] for t in ("a", "last_bit", "other_run", "wider", "doubled")}) == 5
    # the content hash takes the last-bit change and another run id as the same contents
    assert content_hash(con, "last_bit") == content_hash(con, "a") == content_hash(con, "other_run")
    con.execute("CREATE TABLE odd AS SELECT 1 AS _atlas_exact_row")
    assert exact_digest(con, "odd") is None  # a column named like the row's alias: no digest
