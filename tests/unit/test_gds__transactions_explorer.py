"""The Transactions Explorer reader on small hand-written files: the quote repair, the flags, the
long form and the errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
import pytest

from ingestion.errors import AtlasDataError
from ingestion.gds.transactions_explorer import (
    SOURCE_COLUMNS,
    parse_tolerant_csv,
    read_transaction_volumes,
)
from ingestion.readers import SourceRef

REF = SourceRef("gds__transactions_explorer", "transaction-volumes.csv")

# An HTML notice like the HMRC and Land Registry ones: unescaped quotes around an href whose
# FOI text contains commas, so a strict parser splits it into extra fields.
FOI_NOTE = (
    "<div class='application-notice help-notice'><p>Make a <a href=\"https://www.whatdotheyknow"
    ".com/new/hmrc?title=Service data for VAT&body=Dear HM Revenue and Customs,%0A%0APlease "
    "provide the following data for the VAT service, covering the period January 2012 to "
    "December 2012:%0A%0A - annual volume of transactions%0A%0AYours faithfully,%0A%0A&tags=GDS "
    'transactional services costs">Freedom of information (FOI) request</a> for the Q1 2013 '
    "data.</p></div>"
)
# Unescaped quotes without a comma in between: a strict parser keeps 18 fields but mangles the text.
MAILTO_NOTE = (
    "<div class='application-notice help-notice'><p>Please contact <a "
    'href="mailto:someone@dft.gsi.gov.uk">someone@dft.gsi.gov.uk</a></p></div>'
)


def _line(fields: list[str]) -> str:
    """Quote every field the way the publisher did: wrapped in quotes, inner quotes NOT escaped."""
    return ",".join(f'"{f}"' for f in fields)


def _row(name: str, **values: str) -> list[str]:
    row = dict.fromkeys(SOURCE_COLUMNS, "")
    row.update(
        {
            "Department": "HM Revenue and Customs",
            "Department Abbreviation": "HMRC",
            "Body/Agency": "HM Revenue and Customs",
            "Agency Abbreviation": "HMRC",
            "Name of service": name,
            "Service Type": "Providing/reporting information",
            "Customer type": "Business",
            "Business model": "Fiscal",
        }
    )
    row.update(values)
    return [row[c] for c in SOURCE_COLUMNS]


def _write(tmp_path: Path, rows: list[list[str]], *, final_newline: bool = False) -> Path:
    text = "\n".join(_line(r) for r in [SOURCE_COLUMNS, *rows])
    path = tmp_path / "transaction-volumes.csv"
    path.write_text(text + ("\n" if final_newline else ""), encoding="utf-8")
    return path


def _sample(tmp_path: Path) -> Path:
    return _write(
        tmp_path,
        [
            _row(
                "VAT",
                **{
                    "2012 Q4: volume": "23512004",
                    "2012 Q4: digital volume": "11169873",
                    "2012 Q4: cost per transaction": "1.37",
                    "Other notes": FOI_NOTE,
                },
            ),
            _row(
                "Vehicle tax",
                **{
                    "Department": "Department for Transport",
                    "2012 Q4: volume": "46012000",
                    "2013 Q1: volume": "45000000",
                    "2013 Q1: digital volume": "23000000",
                    "2013 Q1: cost per transaction": "1.2",
                    "Other notes": MAILTO_NOTE,
                    "Customer type": "Citizen (mainstream)",
                },
            ),
            ["Local government", "Local Govt", "Local government", "", "Libraries"] + [""] * 13,
        ],
    )


# --- the tolerant parser ---------------------------------------------------------------------


def test_stray_quotes_inside_a_quoted_field_are_kept_as_text():
    records, repaired, _ = parse_tolerant_csv('"a","say "hi", ok","c"\n"d","e","f"', REF)
    # 'say "hi' is followed by a comma: ambiguous, read as a close (the row is then too wide).
    assert records[0] == ["a", 'say "hi', ' ok"', "c"]
    records, repaired, _ = parse_tolerant_csv('"a","<a href="x">y</a>","c"\n"d","e","f"', REF)
    assert records == [["a", '<a href="x">y</a>', "c"], ["d", "e", "f"]]
    assert repaired == [True, False]


def test_escaped_quotes_line_breaks_and_blank_lines_follow_rfc_4180():
    text = '"h1","h2"\r\n"say ""hi""","two\nlines"\r\n\r\nplain,"x"\r\n'
    records, repaired, raw = parse_tolerant_csv(text, REF)
    assert records == [["h1", "h2"], ['say "hi"', "two\nlines"], ["plain", "x"]]
    assert repaired == [False, False, False]
    assert raw[1] == '"say ""hi""","two\nlines"'


def test_empty_last_field_and_no_final_newline():
    records, _, _ = parse_tolerant_csv('"a","b"\n"1",""', REF)
    assert records == [["a", "b"], ["1", ""]]
    records, _, _ = parse_tolerant_csv('"a","b"\n"1",', REF)
    assert records == [["a", "b"], ["1", ""]]


def test_a_file_cut_inside_a_quoted_field_is_an_error():
    with pytest.raises(AtlasDataError, match="ends inside a quoted field") as caught:
        parse_tolerant_csv('"a","b"\n"1","half a val', REF)
    assert caught.value.row == 1


# --- the reader ------------------------------------------------------------------------------


def test_a_strict_parser_really_shifts_the_foi_row(tmp_path):
    path = _sample(tmp_path)
    strict = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert len(strict[1]) > len(SOURCE_COLUMNS)
    assert strict[1][SOURCE_COLUMNS.index("Customer type")].startswith("%0A%0APlease provide")


def test_repaired_rows_keep_their_fields_and_are_flagged(tmp_path):
    frame = read_transaction_volumes(_sample(tmp_path))
    vat = frame.filter(pl.col("name_of_service") == "VAT").sort("reporting_round")
    assert vat.get_column("customer_type").to_list() == ["Business", "Business"]
    assert vat.get_column("business_model").to_list() == ["Fiscal", "Fiscal"]
    assert vat.get_column("other_notes")[0] == FOI_NOTE
    assert vat.get_column("_flags")[0] == (
        "unescaped_quotes_repaired;shifted_fields_repaired;html_in_notes"
    )
    car = frame.filter(pl.col("name_of_service") == "Vehicle tax")
    assert car.get_column("other_notes")[0] == MAILTO_NOTE
    assert car.get_column("customer_type")[0] == "Citizen (mainstream)"
    assert car.get_column("_flags")[0] == "unescaped_quotes_repaired;html_in_notes"


def test_long_form_one_row_per_service_and_round_with_annual_volumes(tmp_path):
    frame = read_transaction_volumes(_sample(tmp_path))
    assert frame.height == 6
    assert frame.get_column("reporting_round").to_list() == ["2012-Q4", "2013-Q1"] * 3
    assert frame.get_column("_source_row").to_list() == [1, 1, 2, 2, 3, 3]
    assert frame.schema["volume"] == pl.Int64
    assert frame.schema["cost_per_transaction_gbp"] == pl.Float64
    assert set(frame.get_column("volume_unit")) == {"transactions per year"}
    vat = frame.filter(pl.col("name_of_service") == "VAT")
    assert vat.get_column("volume").to_list() == [23512004, None]
    assert vat.get_column("cost_per_transaction_gbp").to_list() == [1.37, None]
    assert "not_reported_in_round" in vat.get_column("_flags")[1]
    car = frame.filter(pl.col("name_of_service") == "Vehicle tax")
    assert car.get_column("volume").to_list() == [46012000, 45000000]
    assert car.get_column("digital_volume").to_list() == [None, 23000000]


def test_local_government_placeholders_are_kept_and_flagged(tmp_path):
    frame = read_transaction_volumes(_sample(tmp_path))
    lib = frame.filter(pl.col("name_of_service") == "Libraries")
    assert lib.height == 2
    assert lib.get_column("_flags").to_list() == ["local_government_placeholder"] * 2
    assert lib.get_column("customer_type").null_count() == 2


def test_digital_volume_above_volume_is_flagged_not_dropped(tmp_path):
    path = _write(
        tmp_path,
        [_row("Odd", **{"2012 Q4: volume": "10", "2012 Q4: digital volume": "12"})],
    )
    frame = read_transaction_volumes(path)
    assert frame.height == 2
    assert frame.get_column("_flags")[0] == "digital_volume_exceeds_volume"


def test_a_final_newline_is_accepted_too(tmp_path):
    rows = [_row("VAT", **{"2012 Q4: volume": "5"})]
    assert read_transaction_volumes(_write(tmp_path, rows, final_newline=True)).height == 2


def test_a_non_number_volume_names_the_source_column_and_row(tmp_path):
    path = _write(tmp_path, [_row("A"), _row("B", **{"2012 Q4: volume": "lots"})])
    with pytest.raises(AtlasDataError) as caught:
        read_transaction_volumes(path)
    assert caught.value.column == "2012 Q4: volume"
    assert caught.value.row == 2


def test_a_row_that_stays_too_wide_after_repair_is_refused(tmp_path):
    path = _write(tmp_path, [_row("A", **{"Other notes": 'say "hi", ok'})])
    with pytest.raises(AtlasDataError, match="even after repairing") as caught:
        read_transaction_volumes(path)
    assert caught.value.row == 1


def test_a_renamed_column_is_named(tmp_path):
    path = _sample(tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8").replace('"Customer type"', '"Customer kind"', 1),
        encoding="utf-8",
    )
    with pytest.raises(AtlasDataError) as caught:
        read_transaction_volumes(path)
    assert caught.value.column == "Customer type"


def test_text_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "transaction-volumes.csv"
    path.write_bytes(_line(SOURCE_COLUMNS).encode() + b'\n"Caf\xe9"')
    with pytest.raises(AtlasDataError, match="not valid utf-8"):
        read_transaction_volumes(path)
