"""Check every Felten AIOE table the session build landed from the mirror against openpyxl's
reading."""

from __future__ import annotations

import openpyxl
import pytest

DATASET = "felten__aioe"
APPENDIX = "AIOE_DataAppendix.xlsx"
LM = "Language Modeling AIOE and AIIE.xlsx"


@pytest.fixture(scope="module")
def sheets(mirror):
    """Every sheet of both workbooks as lists of row tuples (header first), via openpyxl."""
    out = {}
    for file in (APPENDIX, LM):
        book = openpyxl.load_workbook(mirror / DATASET / file, read_only=True, data_only=True)
        for ws in book.worksheets:
            out[ws.title] = [
                r for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)
            ]
        book.close()
    return out


def count(con, table):
    return con.execute(f"SELECT count(*) FROM raw.{DATASET}__{table}").fetchone()[0]


def test_the_index_sheet_is_a_table_of_contents(sheets):
    assert all(len(r) == 1 and str(r[0]).startswith("Data Appendix") for r in sheets["Index"])


def test_occupations(con, sheets):
    data = sheets["Appendix A"][1:]
    assert count(con, "occupation") == len(data)
    for code, title, score in (data[0], data[-1]):
        got = con.execute(
            f"SELECT occupation_title, aioe FROM raw.{DATASET}__occupation WHERE soc_code = ?",
            [code],
        ).fetchone()
        assert got == (title, pytest.approx(score))


def test_industries_keep_every_partial_group(con, sheets):
    data = sheets["Appendix B"][1:]
    assert count(con, "industry") == len(data)
    code, title, score = data[-1]
    got = con.execute(
        f"SELECT aiie FROM raw.{DATASET}__industry WHERE naics = ? AND industry_title = ?",
        [str(code), title],
    ).fetchone()
    assert got[0] == pytest.approx(score)
    repeated = sum(1 for r in data if sum(1 for s in data if s[0] == r[0]) > 1)
    got = con.execute(
        f"SELECT count(*) FROM raw.{DATASET}__industry "
        "WHERE naics IN (SELECT naics FROM raw.felten__aioe__industry GROUP BY 1 HAVING count(*) > 1)"
    ).fetchone()[0]
    assert got == repeated


def test_geography_codes_are_five_digit_text(con, sheets):
    data = sheets["Appendix C"][1:]
    assert count(con, "geography") == len(data)
    first_code, first_area, first_score = data[0]
    got = con.execute(
        f"SELECT geographic_area, aige FROM raw.{DATASET}__geography WHERE fips_code = ?",
        [f"{int(first_code):05d}"],
    ).fetchone()
    assert got == (first_area, pytest.approx(first_score))
    states = sum(1 for r in data if int(r[0]) % 1000 == 0)
    flagged = con.execute(
        f"SELECT count(*) FROM raw.{DATASET}__geography WHERE _flags LIKE '%state_aggregate%'"
    ).fetchone()[0]
    assert flagged == states


def test_ability_matrix_is_long(con, sheets):
    header, *data = sheets["Appendix D"]
    assert count(con, "ability_application") == len(data) * (len(header) - 1)
    ability, *scores = data[-1]
    got = con.execute(
        f"SELECT relatedness FROM raw.{DATASET}__ability_application "
        "WHERE ability = ? AND ai_application = ?",
        [ability, header[-1]],
    ).fetchone()[0]
    assert got == pytest.approx(scores[-1])


def test_ability_exposure(con, sheets):
    data = sheets["Appendix E"][1:]
    assert count(con, "ability") == len(data)
    total = con.execute(
        f"SELECT sum(ability_level_ai_exposure) FROM raw.{DATASET}__ability"
    ).fetchone()[0]
    assert total == pytest.approx(sum(r[1] for r in data))


def test_language_modeling_sheets(con, sheets):
    occ = sheets["LM AIOE"][1:]
    ind = sheets["LM AIIE"][1:]
    assert count(con, "lm_occupation") == len(occ)
    assert count(con, "lm_industry") == len(ind)
    code, _title, score = ind[0]
    got = con.execute(
        f"SELECT language_modeling_aiie FROM raw.{DATASET}__lm_industry WHERE naics = ?", [code]
    ).fetchone()[0]
    assert got == pytest.approx(score)
    mean = con.execute(
        f"SELECT avg(language_modeling_aioe) FROM raw.{DATASET}__lm_occupation"
    ).fetchone()[0]
    assert mean == pytest.approx(sum(r[2] for r in occ) / len(occ))
