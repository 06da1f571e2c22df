"""Check Frey & Osborne as the session build landed it from the mirror against the file read with
the csv module."""

from __future__ import annotations

import csv
import hashlib

DATASET = "frey_osborne__computerisation"
FILE = "frey_osborne_automation_risk_index_clean.csv"


def test_lands_every_row_with_real_values(raw_build, mirror):
    with (mirror / DATASET / FILE).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    con, results = raw_build
    result = results[DATASET]
    assert result.rows == len(rows)
    landed = {
        r[0]: r[1:]
        for r in con.execute(
            f"SELECT soc_code, rank, probability, label, occupation FROM raw.{DATASET}"
        ).fetchall()
    }
    for row in (rows[0], rows[len(rows) // 2], rows[-1]):
        rank, probability, label, occupation = landed[row["SOC code"]]
        assert rank == int(row["Rank"])
        assert probability == float(row["Probability"])
        assert label == (int(row["Label"]) if row["Label"] else None)
        assert occupation == row["Occupation"]
    labelled = sum(1 for r in rows if r["Label"] in ("0", "1"))
    assert con.execute(f"SELECT count(label) FROM raw.{DATASET}").fetchone()[0] == labelled
    broad = sum(1 for r in rows if r["SOC code"].endswith("0"))
    assert result.flag_counts.get("soc_broad_group", 0) == broad
    logged = con.execute(
        "SELECT row_count, source_sha256 FROM raw._load_log WHERE table_name = ?", [DATASET]
    ).fetchone()
    assert logged[0] == len(rows) and len(logged[1]) == 64
    assert logged[1] == hashlib.sha256((mirror / DATASET / FILE).read_bytes()).hexdigest()
