"""IBS O*NET task items and Eurostat employment readers on small hand-written files."""

from __future__ import annotations

import openpyxl
import pytest

from ingestion.errors import AtlasDataError
from ingestion.ibs import onet_task_items_isco08 as ibs


def tasks_file(tmp_path, rows: list[list[str]], header: list[str] | None = None):
    header = header or ["isco08", *ibs.ITEMS]
    path = tmp_path / "onet_tasks.csv"
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def values(start: float) -> list[str]:
    return [str(round(start + 0.1 * i, 2)) for i in range(len(ibs.ITEMS))]


def test_element_ids_are_dotted():
    assert ibs.onet_element_id("t_4A2a4") == "4.A.2.a.4"
    assert ibs.onet_element_id("t_4C3b8_rev") == "4.C.3.b.8"
    assert ibs.onet_element_id("t_2B1a") == "2.B.1.a"
    with pytest.raises(ValueError):
        ibs.onet_element_id("isco08")


def test_onet_tasks_land_long_with_codes_kept(tmp_path):
    frame = ibs.read_onet_tasks(tasks_file(tmp_path, [["0110", *values(1)], ["1112", *values(2)]]))
    assert frame.height == 2 * len(ibs.ITEMS)
    assert frame.columns[:5] == ["isco08", "item", "onet_element_id", "is_reversed", "value"]
    first = frame.filter(frame["isco08"] == "0110")
    assert first["item"].to_list() == ibs.ITEMS  # source column order kept within a row
    rev = frame.filter((frame["isco08"] == "1112") & (frame["item"] == "t_4C3b8_rev"))
    assert rev["is_reversed"].item() is True
    assert rev["onet_element_id"].item() == "4.C.3.b.8"
    assert rev["value"].item() == pytest.approx(2 + 0.1 * ibs.ITEMS.index("t_4C3b8_rev"))
    assert frame["_source_row"].unique().sort().to_list() == [1, 2]
    assert frame["_flags"].null_count() == frame.height


def test_a_code_that_lost_its_leading_zero_is_padded_and_flagged(tmp_path):
    frame = ibs.read_onet_tasks(tasks_file(tmp_path, [["110", *values(1)]]))
    assert set(frame["isco08"]) == {"0110"}
    assert set(frame["_flags"]) == {"isco_code_zero_padded"}


def test_a_renamed_item_is_named(tmp_path):
    header = ["isco08", *ibs.ITEMS]
    header[4] = "t_4A2a4_x"
    with pytest.raises(AtlasDataError) as caught:
        ibs.read_onet_tasks(tasks_file(tmp_path, [["1112", *values(1)]], header))
    assert caught.value.column == "t_4A2a4"


def test_an_item_value_that_is_not_a_number_names_column_and_row(tmp_path):
    bad = values(1)
    bad[3] = "n/a"
    with pytest.raises(AtlasDataError) as caught:
        ibs.read_onet_tasks(tasks_file(tmp_path, [["1112", *values(1)], ["1113", *bad]]))
    assert caught.value.column == ibs.ITEMS[3]
    assert caught.value.row == 2


def employment_book(tmp_path, *, skip_sheet: str | None = None, cell: object = 4406.2):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet in ibs.SHEETS:
        if sheet == skip_sheet:
            continue
        ws = book.create_sheet(sheet)
        ws.append(["TIME", *ibs.GEOS])
        ws.append(
            [
                "2011-Q1",
                210428.6,
                4418.6,
                4758.8,
                2570.1,
                18277.7,
                22156.6,
                1206.9,
                15126.8,
                2366.7,
                cell,
            ]
        )
        ws.append(
            ["2020-Q4", ":", 4731, 5069.6, 2765.7, 19077.1, 22273.2, 1293.2, 16149, 2439.6, 4857.6]
        )
    path = tmp_path / "Eurostat_employment_isco.xlsx"
    book.save(path)
    return path


def test_employment_lands_long_with_markers_as_flagged_nulls(tmp_path):
    frame = ibs.read_eurostat_employment(employment_book(tmp_path))
    assert frame.height == 10 * 2 * 10
    assert frame.columns[:6] == ibs.EMPLOYMENT_COLUMNS
    it = frame.filter(
        (frame["sheet"] == "ISCO4") & (frame["time"] == "2011-Q1") & (frame["geo_code"] == "IT")
    )
    assert it["employment_thousands"].item() == 22156.6
    assert it["isco08_major_group"].item() == "4"
    assert it["geo"].item() == "Italy"
    eu = frame.filter((frame["time"] == "2020-Q4") & (frame["geo_code"] == "EU28"))
    assert eu.height == 10
    assert eu["employment_thousands"].null_count() == 10
    assert set(eu["_flags"]) == {"not_available"}
    assert frame["_flags"].drop_nulls().len() == 10
    assert set(frame.filter(frame["sheet"] == "Total")["isco08_major_group"]) == {"TOTAL"}


def test_a_missing_sheet_is_refused(tmp_path):
    with pytest.raises(AtlasDataError, match="sheets"):
        ibs.read_eurostat_employment(employment_book(tmp_path, skip_sheet="ISCO7"))


def test_an_unknown_marker_names_sheet_column_and_row(tmp_path):
    with pytest.raises(AtlasDataError) as caught:
        ibs.read_eurostat_employment(employment_book(tmp_path, cell="4406.2 b"))
    assert caught.value.column == "Sweden"
    assert caught.value.row == 1
    assert "Total" in caught.value.file
