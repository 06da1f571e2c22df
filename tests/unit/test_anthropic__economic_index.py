"""Anthropic Economic Index readers on small hand-written files: percent shares and their total,
the wide derived task table (float-formatted counts, missing respondent counts, imputed ratings)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ingestion.anthropic import economic_index as aei
from ingestion.contracts import load_contract, validate
from ingestion.errors import AtlasDataError, ContractViolation


def relaxed(table):
    return replace(load_contract(table), min_rows=1)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_interaction_shares_that_do_not_sum_to_100_are_flagged_on_every_row(tmp_path):
    path = write(
        tmp_path,
        "automation_vs_augmentation.csv",
        "interaction_type,pct\ndirective,22.5\nfeedback loop,12.0\nnone,2.9\n",
    )
    frame = aei.read_automation_vs_augmentation(path)
    validate(frame, relaxed("anthropic__economic_index__automation_vs_augmentation"))
    assert frame.get_column("interaction_type").to_list() == ["directive", "feedback loop", "none"]
    assert frame.get_column("pct").to_list() == [22.5, 12.0, 2.9]
    assert frame.get_column("_flags").to_list() == ["shares_do_not_sum_to_100"] * 3


def test_shares_summing_to_100_are_not_flagged(tmp_path):
    path = write(
        tmp_path,
        "onet_task_mappings.csv",
        "task_name,pct\n"
        "act as advisers to student organizations.,60.000000001\n"
        '"act as an intermediary in negotiations, and close sales.",39.999999999\n',
    )
    frame = aei.read_task_mappings(path)
    validate(frame, relaxed("anthropic__economic_index__onet_task_mappings"))
    assert (
        frame.get_column("task_name")[1]
        == "act as an intermediary in negotiations, and close sales."
    )
    assert frame.get_column("_flags").to_list() == [None, None]


def test_unknown_interaction_type_breaks_the_contract(tmp_path):
    path = write(
        tmp_path, "automation_vs_augmentation.csv", "interaction_type,pct\ndelegation,100\n"
    )
    frame = aei.read_automation_vs_augmentation(path)
    with pytest.raises(ContractViolation) as caught:
        validate(frame, relaxed("anthropic__economic_index__automation_vs_augmentation"))
    assert caught.value.column == "interaction_type"


def test_a_share_that_is_not_a_number_is_named(tmp_path):
    path = write(tmp_path, "onet_task_mappings.csv", "task_name,pct\na task.,1.5\nb task.,n/a\n")
    with pytest.raises(AtlasDataError) as caught:
        aei.read_task_mappings(path)
    assert (caught.value.column, caught.value.row, caught.value.file) == (
        "pct",
        2,
        "onet_task_mappings.csv",
    )


TASKS_HEADER = (
    "task,task_normalized,soc_code_2010,title,title_normalized,task_type,n_responding,domain_source,"
    "n_occurrences,pct_weighted,pct_normalized,major_occ_category,broad_counts,h_med_nat_2024,"
    "a_med_nat_2024,h_med_ut_2024,a_med_ut_2024,emp_tot_nat_2024,emp_tot_ut_2024,"
    "h_med_nat_nominal_2015,a_med_nat_nominal_2015,h_med_nat_real_2015,a_med_nat_real_2015,"
    "h_med_ut_nominal_2015,a_med_ut_nominal_2015,h_med_ut_real_2015,a_med_ut_real_2015,"
    "emp_tot_nat_2015,emp_tot_ut_2015,emp_pct_nat_2024,emp_pct_ut_2024,emp_pct_nat_2015,"
    "emp_pct_ut_2015,freq_mean_2025,importance_2025,relevance_2025,imputed_rating_mean_2025,"
    "freq_mean_2015,importance_2015,relevance_2015,imputed_rating_mean_2015\n"
)
CHIEF = (
    '"Confer with board members, or staff.",confer with board members or staff,11-1011.00,'
    "Chief Executives,chief executives,Core,87.0,Incumbent,1.0,0.0177,0.0218,"
    "Management Occupations,1.0,99.24,206420.0,78.84,163980.0,208306.0,3913.0,84.19,175110.0,"
    "114.4984,238149.6,62.14,129260.0,84.5104,175793.6,234943.0,3707.0,0.135,0.187,0.170,0.196,"
    "0.752,4.32,81.71,False,1.386,4.15,98.79,False\n"
)
ANALYST = (
    "Write code.,write code,15-1199.07,Data Warehousing Specialists,data warehousing specialists,"
    "Supplemental,,Analyst,2.0,0.5,0.6,Computer and Mathematical Occupations,3.0,60.0,124800.0,"
    "55.0,114400.0,1000.0,20.0,50.0,104000.0,68.0,141440.0,45.0,93600.0,61.2,127296.0,900.0,18.0,"
    "0.001,0.002,0.001,0.002,2.5,3.5,70.0,True,2.0,3.0,60.0,False\n"
)


def test_tasks_final_types_counts_and_flags_missing_respondents_and_imputed_ratings(tmp_path):
    path = write(tmp_path, "tasks_final.csv", TASKS_HEADER + CHIEF + ANALYST)
    frame = aei.read_tasks_final(path)
    validate(frame, relaxed("anthropic__economic_index__tasks_final"))
    assert frame.height == 2
    assert frame.get_column("soc_code_2010").to_list() == ["11-1011.00", "15-1199.07"]
    assert frame.get_column("task")[0] == "Confer with board members, or staff."
    # counts published as floats ("87.0") land as whole numbers
    assert frame.get_column("n_responding").to_list() == [87, None]
    assert frame.get_column("emp_tot_nat_2024").to_list() == [208306, 1000]
    assert frame.get_column("a_med_nat_real_2015")[0] == pytest.approx(238149.6)
    assert frame.get_column("imputed_rating_mean_2025").to_list() == [False, True]
    assert frame.get_column("_flags").to_list() == [
        None,
        "n_responding_missing;ratings_2025_imputed",
    ]


def test_tasks_final_fractional_count_and_renamed_column_are_named(tmp_path):
    path = write(tmp_path, "tasks_final.csv", TASKS_HEADER + CHIEF.replace(",87.0,", ",87.5,"))
    with pytest.raises(AtlasDataError) as caught:
        aei.read_tasks_final(path)
    assert (caught.value.column, caught.value.row) == ("n_responding", 1)

    renamed = write(
        tmp_path, "renamed.csv", TASKS_HEADER.replace("importance_2025", "importance_25") + CHIEF
    )
    with pytest.raises(AtlasDataError) as caught:
        aei.read_tasks_final(renamed, file="tasks_final.csv")
    assert caught.value.column == "importance_2025"
    assert caught.value.file == "tasks_final.csv"


def test_tasks_final_importance_out_of_scale_breaks_the_contract(tmp_path):
    path = write(tmp_path, "tasks_final.csv", TASKS_HEADER + CHIEF.replace(",4.32,", ",7.0,"))
    frame = aei.read_tasks_final(path)
    with pytest.raises(ContractViolation) as caught:
        validate(frame, relaxed("anthropic__economic_index__tasks_final"))
    assert caught.value.column == "importance_2025"
    assert "maximum" in str(caught.value)
