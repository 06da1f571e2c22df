"""GPTs are GPTs readers on small hand-written files: index column, float task ids, missing task
types, label/score consistency flags, CRLF without a final newline, wide work contexts to long."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest

from ingestion.contracts import load_contract, validate
from ingestion.errors import AtlasDataError, ContractViolation
from ingestion.openai import gpts_are_gpts as g

LABELSET_HEADER = (
    "\tO*NET-SOC Code\tTask ID\tTask\tTask Type\tTitle\thuman_exposure_agg\tgpt4_exposure\t"
    "gpt4_exposure_alt_rubric\tgpt_3_relevant\tgpt4_automation\talpha\tbeta\tgamma\tautomation\t"
    "human_labels\n"
)


def relaxed(table):
    """The table's landing contract without its minimum row count, for a few hand-written rows."""
    return replace(load_contract(table), min_rows=1)


def labelset_row(index, code, task_id, task_type, exposure, automation, scores, human="E0"):
    alpha, beta, gamma, auto = scores
    return (
        f"{index}\t{code}\t{task_id}\tDo a task {index}.\t{task_type}\tClerks\t{human}\t{exposure}\t"
        f"{exposure}\tFalse\t{automation}\t{alpha}\t{beta}\t{gamma}\t{auto}\t{human}\n"
    )


def write(tmp_path, name, text, newline="\n"):
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def test_labelset_keeps_the_index_column_and_reads_float_task_ids(tmp_path):
    path = write(
        tmp_path,
        "full_labelset.tsv",
        LABELSET_HEADER
        + labelset_row(0, "43-4061.00", "8823.0", "Core", "E2", "T2", ("0.0", "0.5", "1.0", "0.5"))
        + labelset_row(
            1, "43-4061.00", "8831.0", "Supplemental", "E1", "T4", ("1.0", "1.0", "1.0", "1.0")
        ),
    )
    frame = g.read_full_labelset(path)
    assert frame.columns[:3] == ["source_index", "o_net_soc_code", "task_id"]
    assert frame.get_column("source_index").to_list() == [0, 1]
    assert frame.get_column("task_id").to_list() == [8823, 8831]
    assert frame.schema["task_id"] == pl.Int64
    assert frame.get_column("o_net_soc_code").to_list() == ["43-4061.00", "43-4061.00"]
    assert frame.get_column("gpt4_exposure").to_list() == ["E2", "E1"]
    assert frame.get_column("beta").to_list() == [0.5, 1.0]
    assert frame.get_column("gpt_3_relevant").to_list() == [False, False]
    assert frame.get_column("_flags").to_list() == [None, None]
    validate(frame, relaxed("openai__gpts_are_gpts__full_labelset"))


def test_labelset_flags_missing_task_type_and_scores_that_disagree_with_labels(tmp_path):
    path = write(
        tmp_path,
        "full_labelset.tsv",
        LABELSET_HEADER
        # no task type (O*NET did not rate the task)
        + labelset_row(0, "11-1031.00", "15267.0", "", "E2", "T1", ("0.0", "0.5", "1.0", "0.25"))
        # beta should be 0.5 for E2; automation should be 0.75 for T3
        + labelset_row(1, "11-1031.00", "15268.0", "Core", "E2", "T3", ("0.0", "1.0", "1.0", "0.5"))
        # human_labels differs from the aggregate
        + labelset_row(
            2, "11-1031.00", "15269.0", "Core", "E0", "T0", ("0.0", "0.0", "0.0", "0.0")
        ).replace("\tE0\n", "\tE1\n"),
    )
    frame = g.read_full_labelset(path)
    assert frame.get_column("task_type").to_list() == [None, "Core", "Core"]
    flags = frame.get_column("_flags").to_list()
    assert flags[0] == "task_type_missing"
    assert flags[1] == (
        "exposure_scores_differ_from_gpt4_label;automation_score_differs_from_gpt4_label"
    )
    assert flags[2] == "human_labels_differ_from_aggregate"
    assert frame.height == 3  # flagged, never dropped


def test_labelset_renamed_column_and_bad_score_are_named(tmp_path):
    renamed = write(tmp_path, "a.tsv", LABELSET_HEADER.replace("gpt4_exposure\t", "gpt4_exp\t", 1))
    with pytest.raises(AtlasDataError) as caught:
        g.read_full_labelset(renamed, file="full_labelset.tsv")
    assert caught.value.column == "gpt4_exposure"
    assert caught.value.file == "full_labelset.tsv"
    assert caught.value.dataset_id == "openai__gpts_are_gpts"

    bad = write(
        tmp_path,
        "b.tsv",
        LABELSET_HEADER
        + labelset_row(0, "11-1011.00", "1.0", "Core", "E0", "T0", ("0.0", "0.0", "0.0", "0.0"))
        + labelset_row(1, "11-1011.00", "2.0", "Core", "E0", "T0", ("0.0", "half", "0.0", "0.0")),
    )
    with pytest.raises(AtlasDataError) as caught:
        g.read_full_labelset(bad)
    assert (caught.value.column, caught.value.row, caught.value.value) == ("beta", 2, "half")


def test_labelset_contract_rejects_an_unknown_label(tmp_path):
    path = write(
        tmp_path,
        "full_labelset.tsv",
        LABELSET_HEADER
        + labelset_row(0, "11-1011.00", "1.0", "Core", "E3", "T0", ("0.0", "0.0", "0.0", "0.0")),
    )
    frame = g.read_full_labelset(path)
    with pytest.raises(ContractViolation) as caught:
        validate(frame, relaxed("openai__gpts_are_gpts__full_labelset"))
    assert caught.value.column == "gpt4_exposure"
    assert caught.value.row == 1


def test_onet_data_flags_weights_that_do_not_follow_task_type(tmp_path):
    path = write(
        tmp_path,
        "full_onet_data.tsv",
        "\tO*NET-SOC Code\tTask ID\tTask\tTask Type\tTitle\tcoreweight\tequalweight\n"
        "0\t11-1011.00\t8823.0\tDirect things.\tCore\tChief Executives\t2\t1\n"
        '1\t11-1011.00\t8824.0\tAdvise, "sometimes".\tSupplemental\tChief Executives\t1\t1\n'
        "2\t11-1031.00\t15267.0\tAnalyze laws.\t\tLegislators\t1\t1\n"
        "3\t11-1031.00\t15268.0\tAppoint people.\tCore\tLegislators\t1\t1\n",
    )
    frame = g.read_full_onet_data(path)
    validate(frame, relaxed("openai__gpts_are_gpts__full_onet_data"))
    assert frame.get_column("coreweight").to_list() == [2, 1, 1, 1]
    assert frame.get_column("_flags").to_list() == [
        None,
        None,
        "task_type_missing",
        "coreweight_differs_from_task_type",
    ]


AUTOMATION_HEADER = (
    "gpt4_automation\tO*NET-SOC Code\tTask ID\tTask\tTask Type\tTitle\thuman_automation\n"
)


def test_automation_labels_read_crlf_without_a_final_newline(tmp_path):
    text = (
        AUTOMATION_HEADER
        + "T2\t13-2011.00\t21527\tAdvise clients.\tSupplemental\tAccountants and Auditors\tT2\n"
        + "T3\t13-2011.00\t21524\tAudit payroll.\tCore\tAccountants and Auditors\t\n"
        + "T0\t13-2011.00\t21530\tOther work.\t\tAccountants and Auditors\t"
    )
    path = write(tmp_path, "automation_gpt4_human_labels.tsv", text, newline="\r\n")
    frame = g.read_automation_labels(path)
    validate(frame, relaxed("openai__gpts_are_gpts__automation_gpt4_human_labels"))
    assert frame.height == 3
    assert frame.get_column("gpt4_automation").to_list() == ["T2", "T3", "T0"]
    # no carriage return left on the last column, empty means "not labelled by humans"
    assert frame.get_column("human_automation").to_list() == ["T2", None, None]
    assert frame.get_column("task_id").to_list() == [21527, 21524, 21530]
    assert frame.get_column("_flags").to_list() == [None, None, "task_type_missing"]


def test_automation_labels_cut_mid_row_is_refused(tmp_path):
    text = (
        AUTOMATION_HEADER
        + "T2\t13-2011.00\t21527\tAdvise clients.\tSupplemental\tAcc\tT2\nT3\t13-20"
    )
    path = write(tmp_path, "automation_gpt4_human_labels.tsv", text, newline="\r\n")
    with pytest.raises(AtlasDataError) as caught:
        g.read_automation_labels(path)
    assert caught.value.row == 2
    assert "fields" in str(caught.value)


WORK_HEADER = (
    "degree_of_automation_context,occupation,importance_of_being_exact_or_accurate_context,"
    "importance_of_repeating_same_tasks_context,structured_versus_unstructured_work_context\n"
)


def test_work_contexts_go_long_one_row_per_occupation_and_context(tmp_path):
    path = write(
        tmp_path,
        "occupations_onet_work_contexts.csv",
        WORK_HEADER
        + "0.7,Travel Agents,0.95,0.53,0.83\n"
        + '0.68,"Postal Service Mail Sorters, Processors, and Processing Machine Operators",0.76,0.67,0.53\n',
    )
    frame = g.read_work_contexts(path)
    validate(frame, relaxed("openai__gpts_are_gpts__occupations_onet_work_contexts"))
    assert frame.height == 8
    assert frame.columns[:3] == ["occupation", "work_context", "value"]
    travel = frame.filter(pl.col("occupation") == "Travel Agents")
    assert dict(zip(travel["work_context"], travel["value"], strict=True)) == {
        "degree_of_automation_context": 0.7,
        "importance_of_being_exact_or_accurate_context": 0.95,
        "importance_of_repeating_same_tasks_context": 0.53,
        "structured_versus_unstructured_work_context": 0.83,
    }
    assert set(travel["_source_row"]) == {1}
    postal = frame.filter(pl.col("_source_row") == 2)
    assert postal["occupation"][0].startswith("Postal Service Mail Sorters, Processors")


def test_work_contexts_bad_value_is_named_with_its_source_column(tmp_path):
    path = write(
        tmp_path,
        "occupations_onet_work_contexts.csv",
        WORK_HEADER + "0.7,Travel Agents,0.95,0.53,0.83\n0.5,Clerks,0.9,lots,0.1\n",
    )
    with pytest.raises(AtlasDataError) as caught:
        g.read_work_contexts(path)
    assert caught.value.column == "importance_of_repeating_same_tasks_context"
    assert caught.value.row == 2


def test_work_contexts_nan_is_refused(tmp_path):
    path = write(
        tmp_path,
        "occupations_onet_work_contexts.csv",
        WORK_HEADER + "nan,Travel Agents,0.95,0.53,0.83\n",
    )
    with pytest.raises(AtlasDataError, match="finite") as caught:
        g.read_work_contexts(path)
    assert caught.value.column == "degree_of_automation_context"
