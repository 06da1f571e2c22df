"""Nesta Career Causeways readers on small hand-written files: codes as text, 'na' and 'x'
markers, the wide employment tables read long, the BOM/CRLF bottleneck file."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ingestion.errors import AtlasDataError
from ingestion.nesta.career_causeways import (
    read_bottlenecks,
    read_dwa_impact,
    read_esco_onet_crosswalk,
    read_isco_risk,
    read_ita_employment,
    read_occupation_risk,
    read_uk_employment,
)


def _write(tmp_path: Path, name: str, text: str, *, newline: str = "\n", bom: bool = False) -> Path:
    path = tmp_path / name
    data = text.replace("\n", newline).encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


EMPLOYMENT = (
    "isco_code,2014,2015,2016,2017,2018,isco_minor_group,RISK_CAT\n"
    "011,1.5,1.6,1.7,1.8,1.9,Commissioned armed forces officers,2\n"
    "951,0.036,x,x,0.571,0.16,Street and related service workers,0\n"
    '815,151.368,160.929,162.973,151.682,143.422,"Textile, fur and leather products machine operators",1\n'
)


def test_employment_is_read_long_with_masked_cells_null_and_flagged(tmp_path):
    frame = read_ita_employment(_write(tmp_path, "ita_breakdown_by_isco_w_risk.csv", EMPLOYMENT))
    assert frame.height == 15
    assert frame.columns[:6] == [
        "isco_code",
        "isco_minor_group",
        "risk_cat",
        "risk_category",
        "year",
        "employment_thousands",
    ]
    street = frame.filter(pl.col("isco_code") == "951").sort("year")
    assert street.get_column("year").to_list() == [2014, 2015, 2016, 2017, 2018]
    assert street.get_column("employment_thousands").to_list() == [0.036, None, None, 0.571, 0.16]
    assert street.get_column("_flags").to_list() == [
        None,
        "masked_small_cell",
        "masked_small_cell",
        None,
        None,
    ]
    assert set(street.get_column("risk_category")) == {"High risk"}
    assert set(street.get_column("_source_row")) == {2}


def test_employment_codes_keep_their_leading_zero_and_risk_labels(tmp_path):
    frame = read_uk_employment(_write(tmp_path, "uk_breakdown_by_isco_w_risk.csv", EMPLOYMENT))
    labels = dict(frame.select("isco_code", "risk_category").unique().iter_rows())
    assert labels == {"011": "Other", "951": "High risk", "815": "Low risk"}
    assert frame.schema["risk_cat"] == pl.Int32
    textile = frame.filter(pl.col("isco_code") == "815")
    assert textile.get_column("isco_minor_group")[0] == (
        "Textile, fur and leather products machine operators"
    )


def test_an_employment_value_that_is_not_a_number_names_its_year_column(tmp_path):
    path = _write(
        tmp_path, "uk_breakdown_by_isco_w_risk.csv", EMPLOYMENT.replace("1.7,", "many,", 1)
    )
    with pytest.raises(AtlasDataError) as caught:
        read_uk_employment(path)
    assert caught.value.column == "2016"
    assert caught.value.row == 1


def test_crosswalk_na_titles_become_null_and_codes_stay_text(tmp_path):
    text = (
        "id,esco_occupation,isco_code,onet_code,onet_occupation,matching_job_titles,"
        "semantic_similarity,confidence,concept_uri\n"
        "188,secretary of state,1111,11-1011.00,chief executives,['secretary of state'],"
        "0.81,1.0,http://data.europa.eu/esco/occupation/0ee67d5e-8de9-48f0-97c5-ba23d486b1e9\n"
        "2222,cosmologist,2111,19-2012.00,physicists,na,0.75,1.0,"
        "http://data.europa.eu/esco/occupation/bc659adc-f42c-4ef6-89fe-fd030033f446\n"
        "1048,astronomer,0110,19-2011.00,astronomers,\"['astronomer', 'astrophysicist']\","
        "0.80,2.0,http://data.europa.eu/esco/occupation/57a12047-4f1e-40ed-add5-9736923f231b\n"
    )
    frame = read_esco_onet_crosswalk(_write(tmp_path, "esco_onet_crosswalk_MCC.csv", text))
    assert frame.get_column("matching_job_titles").to_list() == [
        "['secretary of state']",
        None,
        "['astronomer', 'astrophysicist']",
    ]
    assert frame.get_column("_flags").to_list() == [None, "no_matching_job_titles", None]
    assert frame.get_column("isco_code").to_list() == ["1111", "2111", "0110"]
    assert frame.get_column("onet_code")[0] == "11-1011.00"
    assert frame.schema["id"] == pl.Int64


def test_dwa_without_hierarchy_is_kept_and_flagged(tmp_path):
    text = (
        "detailed_work_activity,impact,intermediate_work_activity,element\n"
        "Acquire supplies or equipment.,-0.28471427460310395,Purchase goods or services.,"
        "Monitoring and Controlling Resources\n"
        "Research social issues.,0.005525090496444118,na,na\n"
    )
    frame = read_dwa_impact(_write(tmp_path, "mcc_risk_DWAs.csv", text))
    assert frame.height == 2
    assert frame.row(1, named=True)["intermediate_work_activity"] is None
    assert frame.row(1, named=True)["element"] is None
    assert frame.get_column("_flags").to_list() == [None, "activity_hierarchy_missing"]
    assert frame.get_column("impact")[0] == pytest.approx(-0.28471427460310395)
    assert "_iwa_na" not in frame.columns


def test_bottlenecks_with_bom_crlf_and_no_final_newline(tmp_path):
    text = (
        "sml_question,task_bottleneck,is_bottleneck,percentage_of_all_bottleneck_tasks\n"
        "qD,does not involve working with data,51,0.5\n"
        'q8,"is not about matching information to concepts, labels etc.",323,3.1\n'
        "q23,requires high dexterity,6457,61.9"
    )
    path = _write(tmp_path, "mcc_risk_Bottlenecks.csv", text, newline="\r\n", bom=True)
    frame = read_bottlenecks(path)
    assert frame.columns[0] == "sml_question"
    assert frame.get_column("sml_question").to_list() == ["qD", "q8", "q23"]
    assert frame.get_column("is_bottleneck").to_list() == [51, 323, 6457]
    assert frame.get_column("percentage_of_all_bottleneck_tasks")[2] == 61.9


def test_isco_risk_codes_stay_text_and_shared_titles_are_flagged(tmp_path):
    text = (
        "isco_code,isco_unit_group,risk,prevalence,risk_category\n"
        "0110,Commissioned armed forces officers,3.5,0.4,Other\n"
        "3355,Police inspectors and detectives,3.446103,0.425629,Other\n"
        "3411,Police inspectors and detectives,3.464969,0.361524,Other\n"
    )
    frame = read_isco_risk(_write(tmp_path, "mcc_risk_ISCO_4digit.csv", text))
    assert frame.get_column("isco_code").to_list() == ["0110", "3355", "3411"]
    assert frame.get_column("_flags").to_list() == [
        None,
        "duplicate_unit_group_title",
        "duplicate_unit_group_title",
    ]


def test_occupation_risk_is_typed(tmp_path):
    text = (
        "id,occupation,isco_code,risk,prevalence,risk_category,risk_nonphysical,"
        "prevalence_nonphysical,onet_code,onet_occupation,concept_uri,skills_based_sector_code,"
        "skills_based_sector,sub_sector_code,sub_sector\n"
        '1,metal drawing machine operator,8121,3.307599,0.800032,Low risk,3.439494,0.0,51-4021.00,"'
        'extruding and drawing machine setters, operators, and tenders, metal and plastic",'
        "http://data.europa.eu/esco/occupation/000e93a3-d956-4e45-aacb-f12c83fedf84,4,"
        "manufacturing workers,4.1,metal workers & machine operators\n"
    )
    frame = read_occupation_risk(_write(tmp_path, "mcc_risk_All_occupations.csv", text))
    row = frame.row(0, named=True)
    assert row["isco_code"] == "8121"
    assert row["onet_code"] == "51-4021.00"
    assert row["risk"] == 3.307599
    assert row["sub_sector_code"] == "4.1"
    assert row["skills_based_sector_code"] == 4


def test_a_renamed_column_is_named(tmp_path):
    text = "isco_code,isco_group,risk,prevalence,risk_category\n1111,Legislators,3.5,0.35,Other\n"
    with pytest.raises(AtlasDataError) as caught:
        read_isco_risk(_write(tmp_path, "mcc_risk_ISCO_4digit.csv", text))
    assert caught.value.column == "isco_unit_group"
