"""RGS Conto Annuale staff and pay tables (pending download) on small hand-written files zipped
the way the RGS serves them: the readers, their landing contracts, and the mechanism that keeps
them out of the pipeline until the zip is registered."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import polars as pl
import pytest

from ingestion.catalog import raw_tables
from ingestion.contracts import load_contract, validate
from ingestion.errors import AtlasDataError, ContractViolation
from ingestion.registry import _parse, load_registry
from ingestion.rgs_italy import conto_annuale_data
from ingestion.rgs_italy.conto_annuale_data import PENDING_TABLES, TABLES, read_pay, read_staff
from ingestion.settings import CONTRACTS_DIR

STAFF_HEADER = (
    "ISTITUZIONE;CONTRATTO;CATEGORIA;QUALIFICA;PERSONALE_TEMPO_PIENO_UOMINI;"
    "PERSONALE_TEMPO_PIEDO_DONNE;PART_TIME_INF50%_UOMINI;PART_TIME_INF50%_DONNE;"
    "PART_TIME_SUP50%_UOMINI;PART_TIME_SUP50%_DONNE\n"
)
STAFF = STAFF_HEADER + (
    "C3363;RALN;IR;0IR000;10;12;0;1;2;3\n"
    "U0042;SSNA;PF;SPFINF;5;40;;0;1;4\n"
    "C3363;RALN;IR;0IR000;1;0;0;0;0;0\n"
)
PAY = (
    "ISTITUZIONE;CONTRATTO;CATEGORIA;QUALIFICA;VOCE_SPESA;IMPORTO\n"
    "C3363;RALN;IR;0IR000;A015;1234567,89\n"
    "C3363;RALN;IR;0IR000;A035;1.234,5\n"
    "U0042;SSNA;PF;SPFINF;P072;-250.75\n"
)


def _zip(tmp_path: Path, members: dict[str, str], *, nested: bool = False) -> Path:
    """A zip like 2024Dati.zip: members under 2024Dati/, or inside a nested 2024Dati.zip."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        for name, text in members.items():
            archive.writestr(f"2024Dati/{name}", text.encode("utf-8"))
    path = tmp_path / "2024Dati.zip"
    if nested:
        with zipfile.ZipFile(path, "w") as outer:
            outer.writestr("2024Dati.zip", inner.getvalue())
    else:
        path.write_bytes(inner.getvalue())
    return path


def _small(table: str):
    contract = load_contract(table)
    return dataclasses.replace(contract, min_rows=1)


def test_staff_counts_come_out_long_by_working_time_and_sex(tmp_path):
    frame = read_staff(_zip(tmp_path, {"OCCUPAZIONE_2024.CSV": STAFF}))
    assert frame.height == 3 * 6
    first = frame.filter(pl.col("_source_row") == 1)
    got = {(r["working_time"], r["sex"]): r["employees"] for r in first.iter_rows(named=True)}
    # the misspelt PIEDO column is the women's full-time count
    assert got == {
        ("full_time", "M"): 10.0, ("full_time", "F"): 12.0,
        ("part_time_up_to_50", "M"): 0.0, ("part_time_up_to_50", "F"): 1.0,
        ("part_time_over_50", "M"): 2.0, ("part_time_over_50", "F"): 3.0,
    }
    # an empty cell is null, not zero
    nurse = frame.filter((pl.col("qualifica") == "SPFINF") & (pl.col("working_time") == "part_time_up_to_50") & (pl.col("sex") == "M"))
    assert nurse["employees"].item() is None
    assert set(frame["anno"].to_list()) == {2024}
    validate(frame, _small("rgs_italy__conto_annuale_data__occupazione"))


def test_a_repeated_key_is_numbered_and_flagged_not_summed(tmp_path):
    frame = read_staff(_zip(tmp_path, {"OCCUPAZIONE_2024.CSV": STAFF}))
    repeat = frame.filter(pl.col("_source_row") == 3)
    assert set(repeat["key_occurrence"].to_list()) == {2}
    assert set(repeat["_flags"].to_list()) == {"repeated_key"}
    full_time_men = frame.filter((pl.col("qualifica") == "0IR000") & (pl.col("working_time") == "full_time") & (pl.col("sex") == "M"))
    assert sorted(full_time_men["employees"].to_list()) == [1.0, 10.0]


def test_pay_reads_italian_decimals_and_keeps_signs(tmp_path):
    frame = read_pay(_zip(tmp_path, {"COMPOSIZIONE_RETRIBUZIONE_2024.CSV": PAY}, nested=True))
    assert frame["amount_eur"].to_list() == pytest.approx([1234567.89, 1234.5, -250.75])
    assert frame["voce_spesa"].to_list() == ["A015", "A035", "P072"]
    assert frame["_flags"].to_list() == ["italian_decimal", "italian_decimal", None]
    validate(frame, _small("rgs_italy__conto_annuale_data__composizione_retribuzione"))


def test_an_extracted_csv_is_read_like_the_zip_member(tmp_path):
    path = tmp_path / "COMPOSIZIONE_RETRIBUZIONE_2024.CSV"
    path.write_text(PAY, encoding="utf-8")
    assert read_pay(path)["amount_eur"].to_list() == pytest.approx([1234567.89, 1234.5, -250.75])


def test_a_renamed_column_is_refused_naming_the_zip_member_and_column(tmp_path):
    renamed = PAY.replace("IMPORTO", "IMPORTO_EURO")
    with pytest.raises(AtlasDataError) as caught:
        read_pay(_zip(tmp_path, {"COMPOSIZIONE_RETRIBUZIONE_2024.CSV": renamed}))
    assert caught.value.column == "IMPORTO"
    assert caught.value.file == "2024Dati.zip:COMPOSIZIONE_RETRIBUZIONE_2024.CSV"


def test_a_zip_without_the_table_says_which_member_is_missing(tmp_path):
    with pytest.raises(AtlasDataError, match="no member named OCCUPAZIONE_2024.CSV"):
        read_staff(_zip(tmp_path, {"COMPOSIZIONE_RETRIBUZIONE_2024.CSV": PAY}))


def test_a_text_count_is_an_error_with_its_row(tmp_path):
    bad = STAFF_HEADER + "C3363;RALN;IR;0IR000;dieci;0;0;0;0;0\n"
    with pytest.raises(AtlasDataError) as caught:
        read_staff(_zip(tmp_path, {"OCCUPAZIONE_2024.CSV": bad}))
    assert (caught.value.column, caught.value.row) == ("PERSONALE_TEMPO_PIENO_UOMINI", 1)


def test_the_contract_refuses_a_malformed_pay_item_code(tmp_path):
    frame = read_pay(_zip(tmp_path, {"COMPOSIZIONE_RETRIBUZIONE_2024.CSV": PAY.replace("A015", "15")}))
    with pytest.raises(ContractViolation) as caught:
        validate(frame, _small("rgs_italy__conto_annuale_data__composizione_retribuzione"))
    assert caught.value.column == "voce_spesa"


def test_the_pending_tables_stay_out_of_the_pipeline_until_the_zip_is_registered():
    # the registry the catalog reads does not hold the dataset ...
    assert "rgs_italy__conto_annuale_data" not in load_registry()
    assert not any(t.dataset_id == "rgs_italy__conto_annuale_data" for t in raw_tables())
    # ... and even if it did, the module declares no table to land yet
    assert TABLES == ()
    assert [t.name for t in PENDING_TABLES] == [
        "rgs_italy__conto_annuale_data__occupazione",
        "rgs_italy__conto_annuale_data__composizione_retribuzione",
    ]
    for table in PENDING_TABLES:
        assert load_contract(table.name).dataset_id == conto_annuale_data.DATASET_ID


def test_the_pending_registry_entry_names_the_official_https_url():
    entry = _parse(CONTRACTS_DIR / "sources_pending" / "rgs_italy__conto_annuale_data.yml")
    (file,) = entry.files
    assert file.url == "https://contoannuale.rgs.mef.gov.it/ext/CSV/2024Dati.zip"
    assert file.host == "contoannuale.rgs.mef.gov.it"
    assert file.sha256 == "pending"
    assert entry.landing_page == "https://contoannuale.rgs.mef.gov.it/web/sicosito/download"
