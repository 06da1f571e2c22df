"""Broken copies of the Transactions Explorer file are refused naming the dataset, file and column,
and the table landed before is left as it was.

The renamed-column and wrong-type copies are edited as text rather than through the csv module:
re-writing the file with a strict CSV writer would itself shift the 22 rows with unescaped quotes.
"""

from __future__ import annotations

from pathlib import Path

from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected

TABLE = DATASET = "gds__transactions_explorer"
FILE = "transaction-volumes.csv"


def _edit_cell(src: Path, dst: Path, column: str, data_row: int, value: str) -> Path:
    """Replace one cell in the raw text (every field of this file is quoted)."""
    lines = src.read_text(encoding="utf-8").split("\n")
    header = lines[0][1:-1].split('","')
    fields = lines[data_row][1:-1].split('","')
    fields[header.index(column)] = value
    lines[data_row] = '"' + '","'.join(fields) + '"'
    dst.write_text("\n".join(lines), encoding="utf-8")
    return dst


def test_a_truncated_file_is_refused_and_the_table_kept(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = injectors.truncate(mirror / DATASET / FILE, tmp_path / FILE)
    assert_fault_rejected(built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken)


def test_a_file_cut_at_a_line_end_is_refused_by_the_row_count(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    text = (mirror / DATASET / FILE).read_text(encoding="utf-8")
    broken = tmp_path / FILE
    broken.write_text("\n".join(text.split("\n")[:300]), encoding="utf-8")
    error = assert_fault_rejected(built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken)
    assert "rows" in str(error)


def test_a_renamed_column_is_named(tmp_path, monkeypatch, mirror, built_warehouse):
    src = mirror / DATASET / FILE
    broken = tmp_path / FILE
    broken.write_text(
        src.read_text(encoding="utf-8").replace('"Customer type"', '"Type of customer"', 1),
        encoding="utf-8",
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken, column="Customer type"
    )
    assert "missing" in str(error)


def test_a_volume_that_is_not_a_number_is_named_with_its_row(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = _edit_cell(mirror / DATASET / FILE, tmp_path / FILE, "2012 Q4: volume", 3, "lots")
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken, column="2012 Q4: volume"
    )
    assert error.row == 3


def test_a_negative_cost_breaks_the_contract(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = _edit_cell(
        mirror / DATASET / FILE, tmp_path / FILE, "2012 Q4: cost per transaction", 1, "-0.05"
    )
    error = assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        TABLE,
        FILE,
        broken,
        column="cost_per_transaction_gbp",
    )
    assert error.row == 1


def test_an_unknown_customer_type_breaks_the_contract(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = _edit_cell(
        mirror / DATASET / FILE, tmp_path / FILE, "Customer type", 2, "%0A%0APlease provide"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken, column="customer_type"
    )
    assert error.row == 2
