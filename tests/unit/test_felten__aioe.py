"""Felten AIOE readers on small hand-written workbooks (every sheet of both workbooks)."""

from __future__ import annotations

import openpyxl
import pytest

from ingestion.errors import AtlasDataError
from ingestion.felten import aioe

APPS = aioe.AI_APPLICATIONS


def appendix(
    tmp_path, *, extra_sheet: str | None = None, a_header=("SOC Code", "Occupation Title", "AIOE")
):
    book = openpyxl.Workbook()
    index = book.active
    index.title = "Index"
    for line in ["Data Appendix A: AIOE Scores by Occupation", "Data Appendix B: AIIE Scores"]:
        index.append([line])
    a = book.create_sheet("Appendix A")
    a.append(list(a_header))
    a.append(["11-1011", "Chief Executives", 1.334246])
    a.append(["19-1020", "Biologists", 0.752081])
    b = book.create_sheet("Appendix B")
    b.append(["NAICS", "Industry Title", "AIIE"])
    b.append([1133, "Logging", -1.360161])
    b.append([4240, "Merchant Wholesalers, Nondurable Goods (4244 and 4248 only)", -0.358483])
    b.append([4240, "Merchant Wholesalers, Nondurable Goods (4242 and 4246 only)", -0.0027297])
    b.append([9991, "Federal Executive Branch (OES Designation)", 1.076782])
    c = book.create_sheet("Appendix C")
    c.append(["FIPS Code", "Geographic Area", "AIGE"])
    c.append([1000, "Alabama", 0.5171078])
    c.append([1001, "Autauga County", -0.7004653])
    c.append([72153, "Yauco Municipio", -0.2470293])
    c.append([35013, "Doña Ana County", 0.3700291])
    d = book.create_sheet("Appendix D")
    d.append([None, *APPS])
    d.append(["Arm-Hand Steadiness", *[round(0.1 * i, 2) for i in range(10)]])
    d.append(["Written Expression", *[0.5] * 10])
    e = book.create_sheet("Appendix E")
    e.append(["O*NET Abilities", "Ability-Level AI Exposure"])
    e.append(["Arm-Hand Steadiness", -1.125])
    if extra_sheet:
        book.create_sheet(extra_sheet).append(["x"])
    path = tmp_path / "AIOE_DataAppendix.xlsx"
    book.save(path)
    return path


def lm(tmp_path):
    book = openpyxl.Workbook()
    occ = book.active
    occ.title = "LM AIOE"
    occ.append(["SOC Code", "Occupation Title", "Language Modeling AIOE"])
    occ.append(["53-7111", "Mine Shuttle Car Operators", -1.497306])
    ind = book.create_sheet("LM AIIE")
    ind.append(["NAICS", "NAICS Description", "Language Modeling AIIE"])
    ind.append(["611100", "Elementary and Secondary Schools", 1.44894])
    ind.append(["3250A1", "Chemical Manufacturing (3251, 3252, 3253, and 3259 only)", -0.3177066])
    ind.append(["327000", "Nonmetallic Mineral Product Manufacturing", -0.9])
    path = tmp_path / "lm.xlsx"
    book.save(path)
    return path


def test_occupations_keep_codes_and_flag_broad_groups(tmp_path):
    frame = aioe.read_occupation(appendix(tmp_path))
    assert frame.columns[:3] == ["soc_code", "occupation_title", "aioe"]
    assert frame["soc_code"].to_list() == ["11-1011", "19-1020"]
    assert frame["aioe"].to_list() == [1.334246, 0.752081]
    assert frame["_flags"].to_list() == [None, "soc_broad_group"]


def test_industries_numeric_codes_become_text_and_oes_groups_are_flagged(tmp_path):
    frame = aioe.read_industry(appendix(tmp_path))
    assert frame["naics"].to_list() == ["1133", "4240", "4240", "9991"]
    flags = frame["_flags"].to_list()
    assert flags[0] is None
    assert flags[1] == flags[2] == "oes_aggregate_code;oes_partial_group"
    assert flags[3] == "oes_designation"


def test_fips_codes_get_back_their_leading_zero_and_states_are_flagged(tmp_path):
    frame = aioe.read_geography(appendix(tmp_path))
    assert frame["fips_code"].to_list() == ["01000", "01001", "72153", "35013"]
    assert frame["geographic_area"].to_list()[3] == "Doña Ana County"
    assert frame["_flags"].to_list() == [
        "fips_zero_padded;state_aggregate",
        "fips_zero_padded",
        None,
        None,
    ]


def test_the_ability_matrix_lands_long_with_the_unnamed_column_named(tmp_path):
    frame = aioe.read_ability_application(appendix(tmp_path))
    assert frame.height == 2 * len(APPS)
    assert frame.columns[:3] == ["ability", "ai_application", "relatedness"]
    row = frame.filter(
        (frame["ability"] == "Arm-Hand Steadiness") & (frame["ai_application"] == "Translation")
    )
    assert row["relatedness"].item() == pytest.approx(0.7)
    assert set(frame["_source_row"].to_list()) == {1, 2}


def test_ability_exposure(tmp_path):
    frame = aioe.read_ability(appendix(tmp_path))
    assert frame.select("ability", "ability_level_ai_exposure").rows() == [
        ("Arm-Hand Steadiness", -1.125)
    ]


def test_language_modeling_sheets(tmp_path):
    path = lm(tmp_path)
    occ = aioe.read_lm_occupation(path)
    assert occ["soc_code"].to_list() == ["53-7111"]
    ind = aioe.read_lm_industry(path)
    assert ind["naics"].to_list() == ["611100", "3250A1", "327000"]
    assert ind["_flags"].to_list() == [
        None,
        "oes_aggregate_code;oes_partial_group",
        "oes_aggregate_code",
    ]


def test_an_unknown_sheet_is_refused(tmp_path):
    with pytest.raises(AtlasDataError, match="sheets") as caught:
        aioe.read_occupation(appendix(tmp_path, extra_sheet="Appendix F"))
    assert caught.value.file == "AIOE_DataAppendix.xlsx"


def test_a_renamed_header_is_named_with_its_sheet(tmp_path):
    path = appendix(tmp_path, a_header=("SOC Code", "Occupation Title", "AIOE score"))
    with pytest.raises(AtlasDataError) as caught:
        aioe.read_occupation(path)
    assert caught.value.column == "AIOE"
    assert "Appendix A" in caught.value.file


def test_a_score_that_is_not_a_number_names_column_and_row(tmp_path):
    path = appendix(tmp_path)
    book = openpyxl.load_workbook(path)
    book["Appendix C"]["C3"] = "n/a"
    book.save(path)
    with pytest.raises(AtlasDataError) as caught:
        aioe.read_geography(path)
    assert caught.value.column == "AIGE"
    assert caught.value.row == 2


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "AIOE_DataAppendix.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(AtlasDataError, match="workbook"):
        aioe.read_occupation(path)
