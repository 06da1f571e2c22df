"""Publishing a small hand-made build warehouse: complete read-only versions, a pointer swapped in
one rename, manifests that say what changed, pruning and rollback. No Dagster, no mirror."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import duckdb
import pytest

from publishing import publish as pub

LOG_COLUMNS = (
    "dataset_id VARCHAR, table_name VARCHAR, source_files VARCHAR, source_sha256 VARCHAR, "
    "loaded_at TIMESTAMPTZ, run_id VARCHAR, row_count BIGINT, flagged_rows BIGINT, flag_counts VARCHAR"
)


@pytest.fixture
def build(tmp_path) -> duckdb.DuckDBPyConnection:
    """A build warehouse with the published schemas, a raw table loaded twice, and a staging view
    that must not be published."""
    con = duckdb.connect(str(tmp_path / "atlas.duckdb"))
    for schema in ("raw", "staging", "marts", "scoring", "seeds"):
        con.execute(f"CREATE SCHEMA {schema}")
    con.execute("CREATE TABLE raw.src AS SELECT range AS id FROM range(5)")
    con.execute(f"CREATE TABLE raw._load_log ({LOG_COLUMNS})")
    con.execute(
        """INSERT INTO raw._load_log VALUES
           ('d', 'src', 'f.csv', 'old', now() - INTERVAL 1 DAY, 'run-old', 4, 0, NULL),
           ('d', 'src', 'f.csv', 'abc', now(), 'run-new', 5, 0, NULL),
           ('d', 'dropped', 'g.csv', 'def', now(), 'run-new', 1, 0, NULL)"""
    )
    con.execute("CREATE VIEW staging.stg AS SELECT * FROM raw.src")
    con.execute(
        "CREATE TABLE marts.fct_thing AS SELECT range AS id, range * 0.5::DOUBLE AS share, "
        "'name ' || range AS name FROM range(100)"
    )
    con.execute("CREATE VIEW marts.dim_small AS SELECT * FROM marts.fct_thing WHERE id < 3")
    con.execute("CREATE TABLE scoring.score AS SELECT id, share * 2 AS value FROM marts.fct_thing")
    con.execute(
        "CREATE TABLE seeds.assumptions AS SELECT 'A001' AS assumption_id, "
        "'allocation_basis' AS parameter, 'applications' AS value, 'basis' AS unit"
    )
    yield con
    con.close()


def published(tmp_path: Path) -> Path:
    return tmp_path / "published"


def test_a_publish_writes_a_complete_read_only_file_behind_the_pointer(build, tmp_path):
    manifest = pub.publish(build, run_id="run-1", directory=published(tmp_path))

    pointer = published(tmp_path) / "atlas.duckdb"
    assert pointer.is_symlink()
    assert os.readlink(pointer) == manifest["database"]  # relative: the folder can move
    target = published(tmp_path) / manifest["database"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o444
    assert stat.S_IMODE((published(tmp_path) / f"atlas-{manifest['publish_id']}.json").stat().st_mode) == 0o444
    assert manifest["database_sha256"] == pub.sha256_file(target)
    assert set(manifest["tables"]) == {
        "marts.fct_thing", "marts.dim_small", "scoring.score", "seeds.assumptions", "raw._load_log"
    }
    with duckdb.connect(str(pointer), read_only=True) as reader:
        for name, table in manifest["tables"].items():
            schema, table_name = name.split(".")
            count = reader.execute(f'SELECT count(*) FROM "{schema}"."{table_name}"').fetchone()[0]
            assert count == table["rows"], name
        assert reader.execute("SELECT publish_id, run_id FROM meta.publication").fetchone() == (
            manifest["publish_id"], "run-1"
        )
        schemas = {r[0] for r in reader.execute("SELECT schema_name FROM information_schema.schemata").fetchall()}
        assert "staging" not in schemas
        with pytest.raises(duckdb.Error):
            reader.execute("CREATE TABLE marts.x (i INTEGER)")


def test_the_manifest_traces_sources_and_parameters(build, tmp_path):
    manifest = pub.publish(build, run_id="run-1", directory=published(tmp_path))

    # the latest load of each raw table still in the warehouse, nothing older or dropped
    assert [(s["table_name"], s["source_sha256"], s["run_id"]) for s in manifest["sources"]] == [
        ("src", "abc", "run-new")
    ]
    assert manifest["tables"]["raw._load_log"]["rows"] == 1
    assert manifest["parameters"] == [
        {"assumption_id": "A001", "parameter": "allocation_basis", "value": "applications", "unit": "basis"}
    ]
    assert manifest["tables"]["marts.fct_thing"]["rows"] == 100
    assert {"name": "share", "type": "DOUBLE"} in manifest["tables"]["marts.fct_thing"]["columns"]
    assert manifest["identical_to_previous"] is None
    assert manifest["storage_version"] == pub.STORAGE_VERSION


def test_republishing_the_same_contents_is_identical_even_with_new_load_times(build, tmp_path):
    first = pub.publish(build, run_id="run-1", directory=published(tmp_path))
    # A rerun reloads the same file: new load time and run id, same content.
    build.execute(
        "INSERT INTO raw._load_log VALUES ('d', 'src', 'f.csv', 'abc', now() + INTERVAL 1 HOUR, 'run-2', 5, 0, NULL)"
    )
    build.execute("CREATE OR REPLACE TABLE marts.fct_thing AS SELECT * FROM marts.fct_thing ORDER BY id DESC")
    second = pub.publish(build, run_id="run-2", directory=published(tmp_path))

    assert second["publish_id"] != first["publish_id"]
    assert second["previous_publish_id"] == first["publish_id"]
    assert second["identical_to_previous"] is True
    assert second["changed_tables"] == []
    assert {n: t["content_sha256"] for n, t in second["tables"].items()} == {
        n: t["content_sha256"] for n, t in first["tables"].items()
    }


def test_last_bit_float_noise_is_not_a_change_of_contents(build, tmp_path):
    first = pub.publish(build, run_id="run-1", directory=published(tmp_path))
    # what a parallel sum in another order gives: the same figure to 15 digits
    build.execute("UPDATE scoring.score SET value = value * (1 + 4e-16) WHERE id = 42")
    second = pub.publish(build, run_id="run-2", directory=published(tmp_path))
    assert second["identical_to_previous"] is True, second["changed_tables"]
    before, after = first["tables"]["scoring.score"], second["tables"]["scoring.score"]
    assert {k: v for k, v in before.items() if k != "exact_sha256"} == {k: v for k, v in after.items() if k != "exact_sha256"}
    assert before["exact_sha256"] != after["exact_sha256"]  # the exact digest sees the last bit


def test_a_changed_value_makes_a_new_version_that_names_the_table(build, tmp_path):
    first = pub.publish(build, run_id="run-1", directory=published(tmp_path))
    build.execute("UPDATE scoring.score SET value = value * (1 + 1e-7) WHERE id = 42")
    second = pub.publish(build, run_id="run-2", directory=published(tmp_path))

    assert second["identical_to_previous"] is False
    assert second["changed_tables"] == ["scoring.score"]
    assert second["tables"]["scoring.score"]["rows"] == first["tables"]["scoring.score"]["rows"]
    assert pub.current_publish_id(published(tmp_path)) == second["publish_id"]


def test_only_the_newest_versions_are_kept_and_never_the_one_readers_see(build, tmp_path):
    directory = published(tmp_path)
    ids = [pub.publish(build, run_id=f"run-{i}", directory=directory, keep=2)["publish_id"]
           for i in range(3)]
    assert [v.publish_id for v in pub.list_versions(directory)] == ids[1:]
    assert not (directory / f"atlas-{ids[0]}.duckdb").exists()

    pub.rollback(ids[1], directory)
    later = [pub.publish(build, run_id=f"run-{i}", directory=directory, keep=2)["publish_id"]
             for i in range(3, 5)]
    # the rollback target was the current version when the next publish started; after two more
    # publishes it is no longer current and ages out like any other
    assert [v.publish_id for v in pub.list_versions(directory)] == later
    assert [v.current for v in pub.list_versions(directory)] == [False, True]


def test_rollback_points_readers_back_at_an_earlier_version(build, tmp_path):
    directory = published(tmp_path)
    first = pub.publish(build, run_id="run-1", directory=directory)
    build.execute("DELETE FROM marts.fct_thing WHERE id >= 50")
    second = pub.publish(build, run_id="run-2", directory=directory)
    assert second["tables"]["marts.fct_thing"]["rows"] == 50

    pub.rollback(first["publish_id"], directory)

    assert pub.current_publish_id(directory) == first["publish_id"]
    with duckdb.connect(str(directory / "atlas.duckdb"), read_only=True) as reader:
        assert reader.execute("SELECT count(*) FROM marts.fct_thing").fetchone()[0] == 100
    history = [json.loads(line) for line in (directory / "history.jsonl").read_text().splitlines()]
    assert history[-1] == history[-1] | {
        "action": "rollback", "publish_id": first["publish_id"], "previous": second["publish_id"]
    }
    assert "*" in next(line for line in pub.describe_versions(pub.list_versions(directory))
                       if first["publish_id"] in line)


@pytest.mark.parametrize("bad_id", ["../../etc/passwd", "atlas", "", "20260101T000000Z-abc/../x"])
def test_rollback_refuses_anything_that_is_not_a_publish_id(build, tmp_path, bad_id):
    pub.publish(build, run_id="run-1", directory=published(tmp_path))
    with pytest.raises(pub.PublishError, match="not a publish id"):
        pub.rollback(bad_id, published(tmp_path))


def test_rollback_refuses_an_unknown_version_and_a_file_changed_since_publish(build, tmp_path):
    directory = published(tmp_path)
    first = pub.publish(build, run_id="run-1", directory=directory)
    second = pub.publish(build, run_id="run-2", directory=directory)
    with pytest.raises(pub.PublishError, match="no published version"):
        pub.rollback("20000101T000000Z-deadbeef", directory)

    target = directory / first["database"]
    os.chmod(target, 0o644)
    with target.open("ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(pub.PublishError, match="does not match its manifest"):
        pub.rollback(first["publish_id"], directory)
    assert pub.current_publish_id(directory) == second["publish_id"]


def test_a_failed_publish_leaves_the_pointer_and_no_partial_file(build, tmp_path, monkeypatch):
    directory = published(tmp_path)
    first = pub.publish(build, run_id="run-1", directory=directory)
    before = {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file() and p.name != "history.jsonl"}

    def broken_hash(con, relation):
        if "score" in relation:
            raise duckdb.IOException("disk full")
        return real_hash(con, relation)

    real_hash = pub.exact_digest  # read for every table, changed or not
    monkeypatch.setattr(pub, "exact_digest", broken_hash)
    with pytest.raises(duckdb.IOException):
        pub.publish(build, run_id="run-2", directory=directory)

    assert pub.current_publish_id(directory) == first["publish_id"]
    after = {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file() and p.name != "history.jsonl"}
    assert after == before  # no new, partial or changed file
    # and the build connection is still usable (the half-written file was detached)
    assert build.execute("SELECT count(*) FROM marts.fct_thing").fetchone()[0] == 100


def test_leftovers_of_an_interrupted_publish_are_cleared_by_the_next_one(build, tmp_path):
    directory = published(tmp_path)
    pub.publish(build, run_id="run-1", directory=directory)
    (directory / ".atlas-20000101T000000Z-x.duckdb.part").write_bytes(b"half")
    (directory / "atlas-20000101T000000Z-orphan.duckdb").write_bytes(b"no manifest")
    pub.publish(build, run_id="run-2", directory=directory)
    names = {p.name for p in directory.iterdir()}
    assert not any(n.endswith(".part") for n in names)
    assert "atlas-20000101T000000Z-orphan.duckdb" not in names


def test_catalog_names_are_quoted_and_odd_ones_refused(build, tmp_path):
    assert pub.quote_identifier('we"ird') == '"we""ird"'
    assert pub.qualified("marts", "t", "db") == '"db"."marts"."t"'
    build.execute('CREATE TABLE marts."x""; DROP TABLE marts.fct_thing; --" (i INTEGER)')
    with pytest.raises(pub.PublishError, match="unexpected characters"):
        pub.publish(build, run_id="run-1", directory=published(tmp_path))
    assert build.execute("SELECT count(*) FROM marts.fct_thing").fetchone()[0] == 100
    assert pub.current_publish_id(published(tmp_path)) is None


def test_readers_are_sent_to_the_published_copy_once_there_is_one(build, tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(tmp_path / "atlas.duckdb"))
    monkeypatch.delenv("ATLAS_PUBLISHED_DIR", raising=False)
    assert pub.published_dir() == tmp_path / "published"
    assert pub.reader_database() == tmp_path / "atlas.duckdb"
    pub.publish(build, run_id="run-1")
    assert pub.reader_database() == tmp_path / "published" / "atlas.duckdb"


def test_a_table_whose_exact_contents_did_not_change_keeps_its_content_hash_without_hashing_it_again(
        build, tmp_path, monkeypatch):
    first = pub.publish(build, run_id="run-1", directory=published(tmp_path))
    assert all(t["exact_sha256"] for t in first["tables"].values())
    build.execute("UPDATE scoring.score SET value = value + 1 WHERE id = 7")
    hashed: list[str] = []
    real = pub.content_hash

    def counted(con, relation):
        hashed.append(relation)
        return real(con, relation)

    monkeypatch.setattr(pub, "content_hash", counted)
    second = pub.publish(build, run_id="run-2", directory=published(tmp_path))
    # only the changed table is hashed again (the load log's rows are those of the first publish)
    assert len(hashed) == 1 and "score" in hashed[0], hashed
    assert second["changed_tables"] == ["scoring.score"]
    # and the hashes kept are those a fresh hash gives: publish the same build without a previous
    monkeypatch.setattr(pub, "content_hash", real)
    fresh = pub.publish(build, run_id="run-3", directory=tmp_path / "fresh")
    for name, table in second["tables"].items():
        assert (table["rows"], table["content_sha256"]) == (fresh["tables"][name]["rows"],
                                                           fresh["tables"][name]["content_sha256"]), name


def test_content_hashes_recorded_under_another_duckdb_or_scheme_are_computed_again(build, tmp_path, monkeypatch):
    first = pub.publish(build, run_id="run-1", directory=published(tmp_path))
    assert pub.known_content_hash(first, "marts.fct_thing", first["tables"]["marts.fct_thing"]["exact_sha256"]) == (
        100, first["tables"]["marts.fct_thing"]["content_sha256"])
    other = {**first, "content_hash_version": first["content_hash_version"].replace("duckdb", "duckdb 0.0.1, not")}
    assert pub.known_content_hash(other, "marts.fct_thing", first["tables"]["marts.fct_thing"]["exact_sha256"]) is None
    assert pub.known_content_hash(first, "marts.fct_thing", "another digest") is None
    assert pub.known_content_hash(first, "marts.absent", first["tables"]["marts.fct_thing"]["exact_sha256"]) is None
    assert pub.known_content_hash(None, "marts.fct_thing", first["tables"]["marts.fct_thing"]["exact_sha256"]) is None
    monkeypatch.setattr(pub, "FLOAT_SIGNIFICANT_DIGITS", 6)  # another rounding: another version of the hash
    assert pub.content_hash_version() != first["content_hash_version"]


def _catalogue(path: Path) -> dict[str, object]:
    """What a published file holds, whatever the row order: its schemas, and per table its columns
    and exact digest."""
    with duckdb.connect(str(path), read_only=True) as reader:
        schemas = sorted(r[0] for r in reader.execute(
            "SELECT schema_name FROM information_schema.schemata WHERE catalog_name = current_database()").fetchall())
        tables = reader.execute(
            "SELECT table_schema, table_name, table_type FROM information_schema.tables "
            "WHERE table_catalog = current_database() ORDER BY 1, 2").fetchall()
        digests = {f"{s}.{t}": (kind, pub.table_columns(reader, pub.qualified(s, t)),
                                pub.exact_digest(reader, pub.qualified(s, t)))
                   for s, t, kind in tables if s != pub.META_SCHEMA}
    return {"schemas": schemas, "tables": digests}


def test_a_table_that_did_not_change_is_carried_over_and_the_file_holds_what_a_fresh_publish_holds(build, tmp_path):
    """Issue 18, publishing by difference: the new version starts as a copy of the previous one's
    file; a table whose exact contents are the build's is kept, any other is copied afresh, one no
    longer published is dropped. The file then holds the tables, columns and rows a first publish
    of the same build gives, and its meta tables are the new version's."""
    directory = published(tmp_path)
    first = pub.publish(build, run_id="run-1", directory=directory)
    assert first["carried_over_tables"] == [] and first["carried_over_from"] is None
    build.execute("UPDATE scoring.score SET value = value + 1 WHERE id = 7")  # changed
    build.execute("DROP VIEW marts.dim_small")  # no longer published
    build.execute("CREATE TABLE marts.fct_new AS SELECT 1 AS id")  # new
    build.execute("CREATE OR REPLACE TABLE marts.fct_thing AS SELECT * FROM marts.fct_thing ORDER BY id DESC")
    second = pub.publish(build, run_id="run-2", directory=directory)
    assert second["carried_over_from"] == first["publish_id"]
    assert second["carried_over_tables"] == ["marts.fct_thing", "seeds.assumptions"]
    assert second["changed_tables"] == ["marts.dim_small", "marts.fct_new", "scoring.score"]

    fresh = pub.publish(build, run_id="run-2", directory=tmp_path / "fresh")
    assert fresh["carried_over_tables"] == []
    carried = _catalogue(directory / second["database"])
    assert carried == _catalogue(tmp_path / "fresh" / fresh["database"])
    assert "marts.dim_small" not in carried["tables"] and "marts.fct_new" in carried["tables"]
    for name, table in second["tables"].items():
        assert {k: v for k, v in table.items()} == fresh["tables"][name], name
    with duckdb.connect(str(directory / second["database"]), read_only=True) as reader:
        assert reader.execute("SELECT publish_id, run_id FROM meta.publication").fetchall() == [
            (second["publish_id"], "run-2")]
        assert reader.execute("SELECT value FROM scoring.score WHERE id = 7").fetchone()[0] == 8.0
        assert reader.execute("SELECT count(*) FROM meta.published_tables").fetchone()[0] == len(second["tables"])
    # the previous version is untouched
    assert pub.sha256_file(directory / first["database"]) == first["database_sha256"]


def test_a_previous_file_that_is_not_the_one_its_manifest_records_is_not_carried_over(build, tmp_path):
    """A previous version whose file is not byte for byte the one its manifest records (replaced,
    damaged) is not started from: every table is copied from the build, as in a first publish."""
    directory = published(tmp_path)
    first = pub.publish(build, run_id="run-1", directory=directory)
    other = pub.publish(build, run_id="run-x", directory=tmp_path / "other")
    path = directory / first["database"]
    os.chmod(path, 0o644)
    path.write_bytes((tmp_path / "other" / other["database"]).read_bytes())  # a valid DuckDB file, not this one
    os.chmod(path, 0o444)
    second = pub.publish(build, run_id="run-2", directory=directory)
    assert second["carried_over_tables"] == [] and second["carried_over_from"] is None
    with duckdb.connect(str(directory / second["database"]), read_only=True) as reader:
        assert reader.execute("SELECT run_id FROM meta.publication").fetchone()[0] == "run-2"
    assert _catalogue(directory / second["database"])["tables"] == _catalogue(tmp_path / "other" / other["database"])["tables"]
