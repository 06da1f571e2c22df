"""Check the RGS Conto Annuale code lists the session build landed from the mirror against figures
computed here from the mirror files with the csv module (semicolons, UTF-8)."""

from __future__ import annotations

import csv

from ingestion.rgs_italy import conto_annuale_codes as rgs

DATASET = "rgs_italy__conto_annuale_codes"


def rows_of(mirror, file):
    with (mirror / DATASET / file).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def test_row_counts(raw_build, mirror):
    _, results = raw_build
    for table in rgs.TABLES:
        assert results[table.name].rows == len(rows_of(mirror, table.files[0])), table.name


def test_contracts_and_sectors(raw_build, mirror):
    con, _ = raw_build
    rows = rows_of(mirror, "CompartoContratto.CSV")
    landed = {
        r[0]: r[1:]
        for r in con.execute(
            f"SELECT codi_contratto, codi_comparto, codi_aggregato, desc_contratto "
            f"FROM raw.{DATASET}__comparto_contratto"
        ).fetchall()
    }
    assert landed == {
        r["CODI_CONTRATTO"]: (r["CODI_COMPARTO"], r["CODI_AGGREGATO"], r["DESC_CONTRATTO"])
        for r in rows
    }
    assert any(code.startswith("0") for _, code, _ in landed.values())  # leading zeros kept


def test_job_grades(raw_build, mirror):
    con, results = raw_build
    rows = rows_of(mirror, "ContrattoMacroCCategQualif.CSV")
    table = f"{DATASET}__contratto_qualifica"
    landed = con.execute(
        f"SELECT codi_contratto, codi_qualifica, desc_qualifica FROM raw.{table} "
        "ORDER BY _source_row"
    ).fetchall()
    assert landed == [
        (r["CODI_CONTRATTO"], r["CODI_QUALIFICA"] or None, r["DESC_QUALIFICA"].strip() or None)
        for r in rows
    ]
    per_macro = dict(
        con.execute(f"SELECT codi_macrocategoria, count(*) FROM raw.{table} GROUP BY 1").fetchall()
    )
    expected: dict[str, int] = {}
    for r in rows:
        expected[r["CODI_MACROCATEGORIA"]] = expected.get(r["CODI_MACROCATEGORIA"], 0) + 1
    assert per_macro == expected
    lost = sum(1 for r in rows if "?" in "".join(r.values()))
    assert results[table].flag_counts["lost_character"] == lost


def test_pay_items_keep_their_accents(raw_build, mirror):
    con, _ = raw_build
    rows = rows_of(mirror, "VoceSpesa.CSV")
    table = f"{DATASET}__voce_spesa"
    landed = con.execute(
        f"SELECT codi_tipo_voce_spesa, codi_voce_spesa, desc_voce_spesa, flag_segno "
        f"FROM raw.{table} ORDER BY _source_row"
    ).fetchall()
    assert landed == [
        (r["CODI_TIPO_VOCE_SPESA"], r["CODI_VOCE_SPESA"], r["DESC_VOCE_SPESA"], r["FLAG_SEGNO"])
        for r in rows
    ]
    accented = [r["DESC_VOCE_SPESA"] for r in rows if "À" in r["DESC_VOCE_SPESA"]]
    assert accented
    got = con.execute(
        f"SELECT count(*) FROM raw.{table} WHERE desc_voce_spesa LIKE '%À%'"
    ).fetchone()[0]
    assert got == len(accented)
    assert (
        con.execute(
            f"SELECT count(*) FROM raw.{table} WHERE desc_voce_spesa LIKE '%Ã%'"
        ).fetchone()[0]
        == 0
    )
