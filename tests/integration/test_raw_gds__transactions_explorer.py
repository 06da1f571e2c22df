"""Check the Transactions Explorer table the session build landed from the mirror against figures
computed here from the mirror file, independently of the reader: with the csv module (whose first 14
and last 2 fields are right even on the rows it shifts, because the shift happens inside the notes)
and by splitting each line on '","' (every field of this file is quoted)."""

from __future__ import annotations

import csv
import io

import pytest

from ingestion.gds import transactions_explorer as gds

DATASET = "gds__transactions_explorer"
FILE = "transaction-volumes.csv"
WIDTH = 18


@pytest.fixture(scope="module")
def source(mirror):
    text = (mirror / DATASET / FILE).read_text(encoding="utf-8")
    strict = list(csv.reader(io.StringIO(text)))
    split = [line[1:-1].split('","') for line in text.split("\n") if line]
    return strict, split


@pytest.fixture(scope="module")
def warehouse(raw_build):
    con, results = raw_build
    return con, results[gds.TABLES[0].name]


def test_every_source_row_lands_once_per_round(warehouse, source):
    con, result = warehouse
    strict, split = source
    services = len(strict) - 1
    assert all(len(r) == WIDTH for r in split)
    assert len(split) - 1 == services
    assert result.rows == 2 * services
    per_round = con.execute(
        f"SELECT reporting_round, count(*), count(DISTINCT _source_row) FROM raw.{DATASET} "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert per_round == [("2012-Q4", services, services), ("2013-Q1", services, services)]


def test_rows_a_strict_parser_shifts_are_repaired_and_counted(warehouse, source):
    con, result = warehouse
    strict, split = source
    shifted = {i for i, r in enumerate(strict[1:], start=1) if len(r) != WIDTH}
    assert shifted  # the quirk is really in the file
    assert any(strict[i][16].startswith("%0A%0APlease provide") for i in shifted)
    flagged = con.execute(
        f"SELECT DISTINCT _source_row FROM raw.{DATASET} "
        "WHERE _flags LIKE '%shifted_fields_repaired%'"
    ).fetchall()
    assert {r[0] for r in flagged} == shifted
    assert result.flag_counts["shifted_fields_repaired"] == 2 * len(shifted)
    with_quotes = {i for i, r in enumerate(split[1:], start=1) if any('"' in f for f in r)}
    repaired = con.execute(
        f"SELECT DISTINCT _source_row FROM raw.{DATASET} "
        "WHERE _flags LIKE '%unescaped_quotes_repaired%'"
    ).fetchall()
    assert {r[0] for r in repaired} == with_quotes


def test_every_field_matches_the_file(warehouse, source):
    con, _ = warehouse
    strict, split = source
    columns = [
        "department",
        "department_abbreviation",
        "body_agency",
        "agency_abbreviation",
        "name_of_service",
        "service_type",
        "url",
        "description_of_service",
        "notes_on_costs",
        "other_notes",
        "customer_type",
        "business_model",
    ]
    landed = {
        row[0]: row[1:]
        for row in con.execute(
            f"SELECT _source_row, {', '.join(columns)} FROM raw.{DATASET} "
            "WHERE reporting_round = '2012-Q4'"
        ).fetchall()
    }
    positions = [0, 1, 2, 3, 4, 11, 12, 13, 14, 15, 16, 17]
    for i, fields in enumerate(split[1:], start=1):
        expected = tuple(fields[p].strip() or None for p in positions)
        assert landed[i] == expected, i
        # The csv module agrees before the notes and on the last two fields, even on the rows
        # it shifts (one row also has unescaped quotes in 'Notes on costs').
        row = strict[i]
        assert landed[i][:8] == tuple(v.strip() or None for v in row[:5] + row[11:14])
        assert landed[i][10:] == tuple(v.strip() or None for v in row[-2:])


def test_volumes_and_costs_match_the_file(warehouse, source):
    con, _ = warehouse
    strict, _ = source
    body = strict[1:]
    for round_, offset in (("2012-Q4", 5), ("2013-Q1", 8)):
        volumes = [int(r[offset]) for r in body if r[offset]]
        costed = [
            (int(r[offset]), float(r[offset + 2])) for r in body if r[offset] and r[offset + 2]
        ]
        got = con.execute(
            f"SELECT count(volume), sum(volume), count(cost_per_transaction_gbp), "
            f"sum(volume * cost_per_transaction_gbp) FROM raw.{DATASET} "
            f"WHERE reporting_round = '{round_}'"
        ).fetchone()
        assert got[0] == len(volumes)
        assert got[1] == sum(volumes)
        assert got[2] == len([r for r in body if r[offset + 2]])
        assert got[3] == pytest.approx(sum(v * c for v, c in costed))
    largest = max(body, key=lambda r: int(r[5] or 0))
    got = con.execute(
        f"SELECT name_of_service, volume, digital_volume, cost_per_transaction_gbp, customer_type "
        f"FROM raw.{DATASET} WHERE reporting_round = '2012-Q4' ORDER BY volume DESC NULLS LAST "
        "LIMIT 1"
    ).fetchone()
    assert got == (largest[4], int(largest[5]), int(largest[6]), float(largest[7]), largest[-2])


def test_local_government_placeholders_are_kept(warehouse, source):
    con, result = warehouse
    strict, _ = source
    placeholders = [r for r in strict[1:] if r[0] == "Local government" and not any(r[5:11])]
    assert placeholders
    got = con.execute(
        f"SELECT count(*) FROM raw.{DATASET} WHERE _flags LIKE '%local_government_placeholder%'"
    ).fetchone()[0]
    assert got == 2 * len(placeholders)
    assert result.flag_counts["local_government_placeholder"] == 2 * len(placeholders)
