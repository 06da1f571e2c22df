"""The benchmark scale generator (benchmarks/scale.py) on a tiny hand-written mirror and registry:
copies, ids, volumes, totals, the registry, determinism, symlinks and the extra fiscal years."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import polars as pl
import pytest
import yaml

from benchmarks import scale
from ingestion.fetch import fetch
from ingestion.gds.transactions_explorer import SOURCE_COLUMNS, read_transaction_volumes
from ingestion.registry import load_registry
from ingestion.tbs_canada.program_spending_ftes import COLUMNS as RBPO_COLUMNS
from ingestion.tbs_canada.service_inventory import (
    COUNT_COLUMNS,
    SI_COLUMNS,
    SP_COLUMNS,
    read_service_inventory,
    read_service_programmes,
)

SI = ("tbs_canada__service_inventory", "si_2024.csv")
SP = ("tbs_canada__service_inventory", "serv_prog.csv")
UK = ("gds__transactions_explorer", "transaction-volumes.csv")
CHANNELS = [
    c for c in COUNT_COLUMNS if c.startswith("num_applications_") and c != "num_applications_total"
]


def _service(**values: str) -> dict[str, str]:
    row = {c: "" for c in SI_COLUMNS}
    row.update(
        fiscal_yr="2023-2024",
        service_name_en="Licences",
        service_name_fr="Permis",
        service_description_en="Issues licences, permits and renewals.",
        service_type="APIR",
        program_id="BXX01",
        automated_decision_system="N",
        service_fee="Y",
        os_application="Y",
        os_decision="N",
        os_issuance="NA",
        sin_usage="N",
        cra_bn_identifier_usage="NA",
        owner_org="abc",
        owner_org_title="Agency of Tests | Agence des essais",
    )
    row.update({c: "NA" for c in COUNT_COLUMNS})
    row.update(values)
    return row


SERVICES = [
    # channels add up to the total
    _service(
        service_id="101",
        num_applications_online="10",
        num_applications_by_mail="5",
        num_applications_total="15",
        num_phone_enquiries="40",
        num_website_visits="900",
    ),
    # no data anywhere
    _service(
        service_id="102",
        service_name_en="Grants",
        program_id="BXX01,BXX02",
        **{c: "ND" for c in COUNT_COLUMNS},
    ),
    # a quoted count with a thousands separator, and a zero channel
    _service(
        service_id="SRV00103",
        service_name_en="Permits, renewals",
        num_applications_online="1,234",
        num_applications_by_phone="0",
        num_applications_total="1234",
    ),
    # channels exceed the total (the reader flags it)
    _service(
        service_id="104",
        service_name_en="Appeals",
        num_applications_online="10",
        num_applications_by_mail="10",
        num_applications_total="15",
    ),
    # a total above the channels (unattributed applications)
    _service(
        service_id="105",
        service_name_en="Registrations",
        fiscal_yr="2024-2025",
        num_applications_online="5",
        num_applications_total="20",
    ),
]
LINKS = [
    ("2021-2022", "101", "BXX01"),
    ("2022-2023", "101", "BXX01"),
    ("2022-2023", "102", "BXX02"),
    ("2022-2023", "SRV00103", "BXX01"),
]
FOI = '<p>Make a <a href="https://foi.example/new?body=Dear HMRC,%0A%0APlease provide">FOI</a></p>'
UK_ROWS = [
    [
        "Dept of Tests",
        "DT",
        "Dept of Tests",
        "",
        "Renew a licence",
        "1000",
        "600",
        "4.5",
        "1100",
        "700",
        "4.2",
        "Registering",
        "https://www.gov.uk/renew",
        "Renewals.",
        "",
        "",
        "Business",
        "Fiscal",
    ],
    [
        "Dept of Tests",
        "DT",
        "Test Agency",
        "TA",
        "Pay a fine",
        "50",
        "",
        "",
        "",
        "",
        "",
        "Making a payment (taxes and fines)",
        "",
        "",
        "",
        FOI,
        "Citizen (mainstream)",
        "Cost recovery",
    ],
    [
        "Local government",
        "LG",
        "Local government",
        "",
        "Local placeholder",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "Dept of Tests",
        "DT",
        "Dept of Tests",
        "",
        "Odd service",
        "10",
        "12",
        "1.0",
        "0",
        "0",
        "",
        "Registering",
        "",
        "",
        "",
        "",
        "Business",
        "Fiscal",
    ],
]


def _csv_bytes(header: list[str], rows: list[list[str]] | list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    if rows and isinstance(rows[0], dict):
        writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
    else:
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
    writer.writerows(rows)
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def _uk_bytes() -> bytes:
    # Every field quoted, HTML quotes not escaped, LF, no final line break: like the real export.
    lines = [",".join(f'"{v}"' for v in row) for row in [SOURCE_COLUMNS, *UK_ROWS]]
    return "\n".join(lines).encode("utf-8")


def _rbpo_bytes() -> bytes:
    rows = []
    for year in ("2021-2022", "2022-2023", "2023-2024", "2024-2025"):
        for programme in ("BXX01", "BXX02"):
            row = {c: "" for c in RBPO_COLUMNS}
            row.update(
                fy_ef=year,
                organization_id="1",
                organization="Agency of Tests",
                program_id=programme,
                program_name="Testing",
                actual_spending="1000.0",
                actual_ftes="2.0",
            )
            rows.append(row)
    return _csv_bytes(RBPO_COLUMNS, rows)


FILES = {
    SI: _csv_bytes(SI_COLUMNS, SERVICES),
    SP: _csv_bytes(SP_COLUMNS, [list(r) for r in LINKS]),
    ("tbs_canada__service_inventory", "PROVENANCE.md"): b"# GC Service Inventory (test)\n",
    UK: _uk_bytes(),
    ("tbs_canada__program_spending_ftes", "rbpo.csv"): _rbpo_bytes(),
    ("frey_osborne__computerisation", "risk.csv"): b"soc,probability\r\n11-1011,0.015\r\n",
}


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    """A mirror (with FILES.csv) and a registry covering every file."""
    mirror, sources = tmp_path / "in" / "mirror", tmp_path / "in" / "sources"
    sources.mkdir(parents=True)
    listing = ["dataset_id,file,bytes,sha256\r\n"]
    for (dataset, name), data in FILES.items():
        (mirror / dataset).mkdir(parents=True, exist_ok=True)
        (mirror / dataset / name).write_bytes(data)
        listing.append(f"{dataset},{name},{len(data)},{hashlib.sha256(data).hexdigest()}\r\n")
    (mirror / "FILES.csv").write_text("".join(listing), encoding="utf-8", newline="")
    (mirror / "README.md").write_text("test mirror\n", encoding="utf-8")
    for dataset in sorted({d for d, _ in FILES}):
        entry = {
            "dataset_id": dataset,
            "publisher": "Tests",
            "title": f"{dataset} (test)",
            "licence": "none",
            "grain": "rows",
            "cadence": "once",
            "description": "Test entry.",
            "files": [
                {
                    "name": name,
                    "url": f"https://data.example/{dataset}/{name}",
                    "bytes": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "description": "As published.",
                }
                for (d, name), data in FILES.items()
                if d == dataset
            ],
        }
        (sources / f"{dataset}.yml").write_text(
            yaml.safe_dump(entry, sort_keys=False), encoding="utf-8"
        )
    return mirror, sources


def _build(inputs: tuple[Path, Path], out: Path, factor: int, **kwargs: int) -> tuple[Path, Path]:
    mirror, sources = inputs
    return scale.build_scaled_inputs(out, factor, mirror=mirror, sources=sources, **kwargs)


def _read_all(mirror: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    return (
        read_service_inventory(mirror.joinpath(*SI)),
        read_service_programmes(mirror.joinpath(*SP)),
        read_transaction_volumes(mirror.joinpath(*UK)),
    )


def _flag_counts(frame: pl.DataFrame) -> dict[str, int]:
    flags = frame.get_column("_flags").drop_nulls().str.split(";").explode()
    return dict(flags.value_counts().iter_rows())


def test_factor_three_gives_three_copies_of_every_service(inputs, tmp_path):
    out_mirror, _ = _build(inputs, tmp_path / "out", 3)
    original = _read_all(inputs[0])
    scaled = _read_all(out_mirror)
    for before, after in zip(original, scaled, strict=True):
        assert after.height == 3 * before.height
        # copy 1 is the original: the file starts with the original rows, read identically
        assert after.head(before.height).equals(before)
    si, sp, uk = scaled
    assert si.select("service_id", "fiscal_yr").is_duplicated().sum() == 0
    assert sp.select(SP_COLUMNS).is_duplicated().sum() == 0
    assert uk.select("name_of_service", "reporting_round").is_duplicated().sum() == 0
    assert sorted(
        si.filter(pl.col("service_name_en").str.starts_with("Licences"))["service_id"]
    ) == ["101", "101-s2", "101-s3"]
    assert si.filter(pl.col("service_id") == "SRV00103-s3")["service_name_en"].to_list() == [
        "Permits, renewals (s3)"
    ]
    assert set(uk["name_of_service"].unique()) >= {"Renew a licence (s2)", "Local placeholder (s3)"}
    # copy k links to the same programmes as the original
    assert sorted(sp.filter(pl.col("service_id") == "101-s2")["program_id"]) == ["BXX01", "BXX01"]
    assert si.filter(pl.col("service_id") == "102-s3")["program_id"].to_list() == ["BXX01,BXX02"]


def test_copies_keep_categories_and_have_consistent_non_negative_integer_volumes(inputs, tmp_path):
    out_mirror, _ = _build(inputs, tmp_path / "out", 3)
    original = read_service_inventory(inputs[0].joinpath(*SI))
    si = read_service_inventory(out_mirror.joinpath(*SI))
    for column in COUNT_COLUMNS:
        assert si.schema[column] == pl.Int64
        assert (si[column].drop_nulls() >= 0).all()
        # NA / ND / reported, zero and positive: the same for every copy as for the original
        status = si.group_by(f"{column}_status").len().sort(f"{column}_status")
        expected = original.group_by(f"{column}_status").len().sort(f"{column}_status")
        assert status["len"].to_list() == [3 * n for n in expected["len"]]
        assert (si[column] == 0).sum() == 3 * (original[column] == 0).sum()
    renamed = ("service_id", "service_name_en", "service_name_fr")
    kept = [c for c in SI_COLUMNS if c not in COUNT_COLUMNS and c not in renamed]
    copies = si.with_columns(pl.col("service_id").str.replace(r"-s\d+$", "").alias("_original"))
    joined = copies.join(original, left_on="_original", right_on="service_id", suffix="_orig")
    assert joined.height == si.height
    for column in kept:
        assert joined[column].equals(joined[f"{column}_orig"].alias(column)), column
    # the total is the sum of the channels where it was (plus the unattributed remainder where
    # there was one), and stays below it where the channels exceeded it
    channel_sum = pl.sum_horizontal([pl.col(c).fill_null(0) for c in CHANNELS])
    checked = joined.with_columns(channel_sum.alias("_sum"))
    exact = checked.filter(pl.col("_original").is_in(["101", "SRV00103"]))
    assert (exact["num_applications_total"] == exact["_sum"]).all()
    above = checked.filter(pl.col("_original") == "105")
    assert (above["num_applications_total"] > above["_sum"]).all()
    assert _flag_counts(si) == {k: 3 * v for k, v in _flag_counts(original).items()}
    assert _flag_counts(si) == {"channels_exceed_total": 3, "total_missing": 3}
    # some volumes really changed
    perturbed = joined.filter(pl.col("service_id") != pl.col("_original"))
    assert (perturbed["num_website_visits"] != perturbed["num_website_visits_orig"]).any()


def test_uk_copies_keep_quirks_and_digital_volume_within_volume(inputs, tmp_path):
    out_mirror, _ = _build(inputs, tmp_path / "out", 3)
    original = read_transaction_volumes(inputs[0].joinpath(*UK))
    uk = read_transaction_volumes(out_mirror.joinpath(*UK))
    assert not out_mirror.joinpath(*UK).read_bytes().endswith(b"\n")  # like the original
    assert _flag_counts(uk) == {k: 3 * v for k, v in _flag_counts(original).items()}
    assert "shifted_fields_repaired" in _flag_counts(uk)
    assert "digital_volume_exceeds_volume" in _flag_counts(uk)
    for column in ("volume", "digital_volume"):
        assert (uk[column].drop_nulls() >= 0).all()
    normal = uk.filter(~pl.col("name_of_service").str.starts_with("Odd service"))
    assert (normal["digital_volume"] <= normal["volume"]).fill_null(True).all()
    costs = uk.with_columns(pl.col("name_of_service").str.replace(r" \(s\d+\)$", ""))
    assert (
        costs.group_by("name_of_service", "reporting_round")
        .agg(pl.col("cost_per_transaction_gbp").n_unique())["cost_per_transaction_gbp"]
        .max()
        == 1
    )


def test_registry_and_files_csv_describe_the_written_files(inputs, tmp_path, monkeypatch):
    out_mirror, out_sources = _build(inputs, tmp_path / "out", 3, seed=7)
    registry = load_registry(out_sources)
    assert set(registry) == {p.stem for p in inputs[1].glob("*.yml")}
    listing = {
        (r["dataset_id"], r["file"]): r
        for r in csv.DictReader((out_mirror / "FILES.csv").open(encoding="utf-8", newline=""))
    }
    for key in (SI, SP, UK):
        data = out_mirror.joinpath(*key).read_bytes()
        entry = registry[key[0]].file(key[1])
        assert entry.bytes == len(data) == int(listing[key]["bytes"])
        assert entry.sha256 == hashlib.sha256(data).hexdigest() == listing[key]["sha256"]
        assert entry.url == f"https://data.example/{key[0]}/{key[1]}"
        assert "factor=3" in entry.description and "seed=7" in entry.description
    text = (out_sources / "gds__transactions_explorer.yml").read_text(encoding="utf-8")
    assert text.startswith("# Generated by the benchmark scale generator")
    unchanged = out_sources / "frey_osborne__computerisation.yml"
    assert unchanged.read_bytes() == (inputs[1] / unchanged.name).read_bytes()
    # the pipeline's own fetch accepts the scaled files against the scaled registry
    monkeypatch.setenv("ATLAS_MIRROR", str(out_mirror))
    monkeypatch.setenv("ATLAS_SOURCES_DIR", str(out_sources))
    for key in (SI, SP, UK, ("frey_osborne__computerisation", "risk.csv")):
        assert fetch(*key) == out_mirror.joinpath(*key)


def test_unchanged_files_are_symlinks_to_the_originals(inputs, tmp_path):
    mirror = inputs[0]
    out_mirror, _ = _build(inputs, tmp_path / "out", 3)
    regenerated = {SI, SP, UK}
    for dataset, name in FILES:
        path = out_mirror / dataset / name
        if (dataset, name) in regenerated:
            assert not path.is_symlink()
        else:
            assert path.is_symlink()
            assert path.resolve() == (mirror / dataset / name).resolve()
    assert (out_mirror / "README.md").is_symlink()


def test_factor_one_reproduces_the_mirror_with_symlinks_only(inputs, tmp_path):
    out_mirror, out_sources = _build(inputs, tmp_path / "out", 1)
    for dataset, name in FILES:
        assert (out_mirror / dataset / name).is_symlink()
    assert (out_mirror / "FILES.csv").is_symlink()
    for path in inputs[1].glob("*.yml"):
        assert (out_sources / path.name).read_bytes() == path.read_bytes()


def test_same_seed_same_bytes_other_seed_other_volumes(inputs, tmp_path):
    first, _ = _build(inputs, tmp_path / "a", 4, seed=3)
    again, _ = _build(inputs, tmp_path / "b", 4, seed=3)
    other, _ = _build(inputs, tmp_path / "c", 4, seed=4)
    for key in (SI, SP, UK):
        assert first.joinpath(*key).read_bytes() == again.joinpath(*key).read_bytes()
    assert first.joinpath(*SI).read_bytes() != other.joinpath(*SI).read_bytes()
    assert first.joinpath(*UK).read_bytes() != other.joinpath(*UK).read_bytes()


def test_rebuilding_replaces_an_earlier_output_but_not_other_folders(inputs, tmp_path):
    out = tmp_path / "out"
    _build(inputs, out, 2)
    out_mirror, _ = _build(inputs, out, 3)
    assert read_service_programmes(out_mirror.joinpath(*SP)).height == 3 * len(LINKS)
    foreign = tmp_path / "foreign"
    (foreign / "mirror").mkdir(parents=True)
    (foreign / "mirror" / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError):
        _build(inputs, foreign, 2)
    assert (foreign / "mirror" / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_years_adds_earlier_fiscal_years_the_spending_file_covers(inputs, tmp_path):
    out_mirror, _ = _build(inputs, tmp_path / "out", 2, years=3)
    si = read_service_inventory(out_mirror.joinpath(*SI))
    services = len(SERVICES)
    # every row twice, plus two earlier years of each service's earliest row, twice
    assert si.height == 2 * services + 2 * 2 * services
    assert si.select("service_id", "fiscal_yr").is_duplicated().sum() == 0
    years = dict(si.group_by("fiscal_yr").len().iter_rows())
    assert years == {"2024-2025": 2, "2023-2024": 10, "2022-2023": 10, "2021-2022": 8}
    assert sorted(si.filter(pl.col("service_id") == "105")["fiscal_yr"]) == [
        "2022-2023",
        "2023-2024",
        "2024-2025",
    ]
    assert sorted(si.filter(pl.col("service_id") == "101-s2")["fiscal_yr"]) == [
        "2021-2022",
        "2022-2023",
        "2023-2024",
    ]
    # serv_prog follows the copies, not the years
    assert read_service_programmes(out_mirror.joinpath(*SP)).height == 2 * len(LINKS)


def test_years_the_spending_file_does_not_cover_are_refused(inputs, tmp_path):
    out = tmp_path / "out"
    _build(inputs, out, 2)
    before = (out / "mirror").joinpath(*SI).read_bytes()
    with pytest.raises(ValueError, match="2020-2021"):
        _build(inputs, out, 2, years=4)
    # the earlier output is left as it was
    assert (out / "mirror").joinpath(*SI).read_bytes() == before


def test_cli_prints_what_it_wrote(inputs, tmp_path, capsys):
    mirror, sources = inputs
    out = tmp_path / "cli"
    code = scale.main(
        [
            "--out",
            str(out),
            "--factor",
            "2",
            "--seed",
            "1",
            "--mirror",
            str(mirror),
            "--sources",
            str(sources),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "si_2024.csv: 10 rows (5 originally)" in printed
    assert "transaction-volumes.csv: 8 rows (4 originally)" in printed
    assert (out / "scale.json").is_file()
