"""Working with AI readers on small hand-written files: the wide SOC x IWA weight matrix goes long
with every cell kept, IWA metrics with empty cells are flagged, codes stay text."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest

from ingestion.contracts import load_contract, validate
from ingestion.errors import AtlasDataError, ContractViolation
from ingestion.microsoft import working_with_ai as wwa


def relaxed(table):
    return replace(load_contract(table), min_rows=1)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


WEIGHTS = (
    "SOC Code,4.A.1.a.1.I01,4.A.1.a.1.I02,4.A.3.b.6.I15\n"
    "11-1011,0.0,8.939213233527807,13.5\n"
    "11-1031,2.0,0.0,1.0\n"
)


def test_weights_go_long_and_sparse_and_flag_whole_number_occupations(tmp_path):
    frame = wwa.read_soc_iwa_weights(write(tmp_path, "soc_iwa_weights.csv", WEIGHTS))
    validate(frame, relaxed("microsoft__working_with_ai__soc_iwa_weights"))
    assert frame.columns[:3] == ["soc_code", "iwa", "weight"]
    # zero cells mean "no weight" and are not landed; every occupation row is still there
    assert frame.select("soc_code", "iwa", "weight").rows() == [
        ("11-1011", "4.A.1.a.1.I02", 8.939213233527807),
        ("11-1011", "4.A.3.b.6.I15", 13.5),
        ("11-1031", "4.A.1.a.1.I01", 2.0),
        ("11-1031", "4.A.3.b.6.I15", 1.0),
    ]
    assert frame.get_column("_source_row").to_list() == [1, 1, 2, 2]
    # 11-1031 has only whole-number weights: its cells are flagged
    assert frame.get_column("_flags").to_list() == [
        None,
        None,
        "whole_number_weights",
        "whole_number_weights",
    ]


def test_weights_row_without_any_weight_or_with_an_empty_cell_is_refused(tmp_path):
    all_zero = write(tmp_path, "a.csv", WEIGHTS + "13-1011,0.0,0.0,0.0\n")
    with pytest.raises(AtlasDataError) as caught:
        wwa.read_soc_iwa_weights(all_zero)
    assert (caught.value.column, caught.value.row, caught.value.value) == ("SOC Code", 3, "13-1011")

    empty = write(tmp_path, "b.csv", WEIGHTS.replace("2.0,0.0,1.0", "2.0,,1.0"))
    with pytest.raises(AtlasDataError) as caught:
        wwa.read_soc_iwa_weights(empty)
    assert (caught.value.column, caught.value.row) == ("4.A.1.a.1.I02", 2)


def test_weights_bad_cell_is_named_by_its_iwa_column_and_row(tmp_path):
    path = write(tmp_path, "soc_iwa_weights.csv", WEIGHTS.replace("13.5", "high"))
    with pytest.raises(AtlasDataError) as caught:
        wwa.read_soc_iwa_weights(path)
    assert (caught.value.column, caught.value.row, caught.value.value) == (
        "4.A.3.b.6.I15",
        1,
        "high",
    )


@pytest.mark.parametrize(
    "header,column",
    [
        ("SOC,4.A.1.a.1.I01,4.A.1.a.1.I02,4.A.3.b.6.I15", "SOC Code"),
        ("SOC Code,4.A.1.a.1.I01,weight,4.A.3.b.6.I15", "weight"),
    ],
)
def test_weights_header_that_is_not_soc_then_iwas_is_named(tmp_path, header, column):
    text = header + "\n" + WEIGHTS.split("\n", 1)[1]
    with pytest.raises(AtlasDataError) as caught:
        wwa.read_soc_iwa_weights(write(tmp_path, "soc_iwa_weights.csv", text))
    assert caught.value.column == column


def test_negative_weight_breaks_the_contract(tmp_path):
    path = write(tmp_path, "soc_iwa_weights.csv", WEIGHTS.replace("2.0", "-2.0"))
    frame = wwa.read_soc_iwa_weights(path)
    with pytest.raises(ContractViolation) as caught:
        validate(frame, relaxed("microsoft__working_with_ai__soc_iwa_weights"))
    assert caught.value.column == "weight"
    assert caught.value.row == 2


IWA_HEADER = (
    "IWA,title,share_user,share_ai,completion_user,completion_ai,impact_scope_user,impact_scope_ai,"
    "feedback_positive_fraction_user,feedback_positive_fraction_ai,"
    "completion_x_scope_x_coverage_user,completion_x_scope_x_coverage_ai\n"
)


def test_iwa_metrics_empty_cells_stay_null_and_are_flagged(tmp_path):
    path = write(
        tmp_path,
        "iwa_metrics.csv",
        IWA_HEADER
        + "4.A.1.a.1.I01,Study details of artistic productions.,0.0043,0.0008,0.86,0.86,0.62,0.41,"
        "0.69,0.69,0.53,0.35\n"
        + '4.A.3.a.1.I13,"Operate, test or adjust equipment.",4.2e-06,0.0,0.0,,0.0,,0.5,0.5,0.0,0.0\n'
        + "4.A.4.b.4.I05,Coach others.,0.0,0.0,,,,,,,0.0,0.0\n",
    )
    frame = wwa.read_iwa_metrics(path)
    validate(frame, relaxed("microsoft__working_with_ai__iwa_metrics"))
    assert frame.get_column("iwa").to_list()[1] == "4.A.3.a.1.I13"
    assert frame.get_column("share_user")[1] == pytest.approx(4.2e-06)
    assert frame.get_column("completion_ai").to_list() == [0.86, None, None]
    assert frame.get_column("_flags").to_list() == [
        None,
        "ai_metrics_missing",
        "user_metrics_missing;ai_metrics_missing",
    ]


def test_soc_files_keep_codes_as_text(tmp_path):
    scores = wwa.read_soc_ai_applicability_scores(
        write(
            tmp_path,
            "soc_ai_applicability_scores.csv",
            "SOC Code,title,ai_applicability_score\n11-1011,Chief Executives,0.155502898114603\n"
            '43-4061,"Eligibility Interviewers, Government Programs",0.4\n',
        )
    )
    validate(scores, relaxed("microsoft__working_with_ai__soc_ai_applicability_scores"))
    assert scores.schema["soc_code"] == pl.String
    assert scores.get_column("soc_code").to_list() == ["11-1011", "43-4061"]
    assert scores.get_column("title")[1] == "Eligibility Interviewers, Government Programs"

    links = wwa.read_soc_to_iwas(
        write(
            tmp_path,
            "soc_to_iwas.csv",
            "SOC Code,IWA\n11-1011,4.A.4.a.2.I03\n11-1011,4.A.3.b.6.I01\n",
        )
    )
    validate(links, relaxed("microsoft__working_with_ai__soc_to_iwas"))
    assert links.rows() == [
        ("11-1011", "4.A.4.a.2.I03", 1, None),
        ("11-1011", "4.A.3.b.6.I01", 2, None),
    ]


def test_soc_code_with_detail_suffix_breaks_the_contract(tmp_path):
    links = wwa.read_soc_to_iwas(
        write(tmp_path, "soc_to_iwas.csv", "SOC Code,IWA\n11-1011.00,4.A.4.a.2.I03\n")
    )
    with pytest.raises(ContractViolation) as caught:
        validate(links, relaxed("microsoft__working_with_ai__soc_to_iwas"))
    assert caught.value.column == "soc_code"


def test_soc_metrics_renamed_column_is_named(tmp_path):
    header = (
        "SOC Code,title,coverage_user,coverage_ai,completion_user,completion_ai,"
        "feedback_positive_fraction_user,feedback_positive_fraction_ai,impact_scope_user,"
        "impact_scope_ai,ai_applicability_score_user,ai_applicability_score_ai\n"
    )
    row = "11-1011,Chief Executives,0.3,0.26,0.9,0.9,0.69,0.68,0.6,0.33,0.2,0.1\n"
    frame = wwa.read_soc_metrics(write(tmp_path, "soc_metrics.csv", header + row))
    validate(frame, relaxed("microsoft__working_with_ai__soc_metrics"))
    assert frame.get_column("ai_applicability_score_ai").to_list() == [0.1]
    renamed = write(tmp_path, "renamed.csv", header.replace("coverage_ai", "cov_ai") + row)
    with pytest.raises(AtlasDataError) as caught:
        wwa.read_soc_metrics(renamed, file="soc_metrics.csv")
    assert caught.value.column == "coverage_ai"
