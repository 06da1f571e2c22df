"""Scale generator for the benchmarks (issue 8): the data mirror with k times the public services.

    python -m benchmarks.scale --out /tmp/scaled --factor 10 [--years 1] [--seed 0]
    ATLAS_MIRROR=/tmp/scaled/mirror ATLAS_SOURCES_DIR=/tmp/scaled/sources <run the pipeline>

`build_scaled_inputs` writes `<out>/mirror/`, laid out like the data mirror
(`<dataset_id>/<file>`), and `<out>/sources/`, a copy of the source registry. Every dataset folder
of the mirror is there; every file that is not regenerated is a symlink to the original (nothing
is copied), and the mirror's FILES.csv is rewritten with the new sizes and checksums. The registry
entries are copied as they are, except that the regenerated files get their new `bytes` and
`sha256` (and a description saying they were generated), so `fetch` verifies them like any other
source file.

Regenerated: the three service-level files, written in the publishers' own format (encoding,
byte-order mark, quoting, line ends, final line break or not), so that the strict readers read them:

- `tbs_canada__service_inventory/si_2024.csv` (one row per service and fiscal year),
- `tbs_canada__service_inventory/serv_prog.csv` (service-programme links),
- `gds__transactions_explorer/transaction-volumes.csv` (one row per UK service).

Each file is the original, byte for byte, followed by the generated rows. Copy 1 of a service is
its original row; copy k (k = 2..factor) is the same service resampled:

- a new id and name: GC `service_id` `<id>-s<k>` (the contract has no id pattern),
  `service_name_en`/`service_name_fr` `<name> (s<k>)`; UK `Name of service` (its key)
  `<name> (s<k>)`;
- every other text field, flag and category kept from the original (organisation, programme list,
  service type, online stages, notes, URLs, cost per transaction, NA/ND markers);
- every count perturbed: multiplied by a per-row size factor exp(N(0, SIZE_SIGMA)) and a per-cell
  mix factor exp(N(0, MIX_SIGMA)), then rounded. Zero stays zero and a positive count stays at
  least 1, so the reported/zero/positive status that the cost allocation depends on is kept;
- totals that are sums of parts are recomputed, not drawn: GC `num_applications_total` = the sum of
  the nine application channels (plus the original's unattributed remainder, scaled, where the total
  exceeded the channels), so the reader's `channels_exceed_total` flag is the same as on the
  original; UK `digital volume` stays at most `volume` in each round where it was (and above it
  where it was, `digital_volume_exceeds_volume`).

Copy k of a service links to the same programmes as the original: its inventory row keeps the
original's comma-separated `program_id` list, and `serv_prog.csv` gets each link again with the
copy's id. The cost allocation (scoring/allocation.py, assumption A001) shares a programme's actual
spending and FTEs among the services delivered under it in proportion to their applications, so at
factor k each programme's spending is spread over about k times as many services: total allocated
CAD per programme and year is unchanged, a service's allocated spending and FTEs (and cost per
application) are about 1/k of the 1x figures. UK costs are volume x the service's own cost per
transaction, so UK totals grow with the factor.

`years` (GC inventory only): years - 1 earlier fiscal years are added for every service (all its
copies), with the same id, a fiscal year 1, 2, ... years earlier than the service's earliest year in
the inventory, and volumes perturbed the same way (independent draws). Those years must be in the
programme spending file (`tbs_canada__program_spending_ftes/rbpo.csv`, with actual spending
reported) so that programme costs still join on fiscal year; otherwise a ValueError names the
years covered (the real mirror covers 2019-2020 to 2025-2026, the inventory is 2023-2024, so
years <= 5). The programme list of an earlier-year row is the 2023-24 one: codes that were not in
that year's Departmental Results Framework do not match (`programme_unmatched_reason`).
`serv_prog.csv` is not extended with years (it is already a 2018-19 to 2022-23 link table; the
models join programmes through the inventory's own list).

Deterministic: the same mirror, factor, years and seed give byte-identical files (numpy's PCG64,
one stream per file). factor=1 and years=1 regenerate nothing: every file is a symlink and the
registry is an exact copy.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from ingestion.gds.transactions_explorer import SOURCE_COLUMNS as GDS_COLUMNS
from ingestion.gds.transactions_explorer import parse_tolerant_csv
from ingestion.readers import SourceRef
from ingestion.tbs_canada.program_spending_ftes import read_program_spending_ftes
from ingestion.tbs_canada.service_inventory import COUNT_COLUMNS as SI_COUNTS
from ingestion.tbs_canada.service_inventory import SI_COLUMNS, SP_COLUMNS

# Standard deviation of log(size factor): one draw per generated row, shared by all its counts.
# 0.5 puts the middle 50% of copies between 0.71x and 1.40x the original's volumes.
SIZE_SIGMA = 0.5
# Standard deviation of log(mix factor): one draw per count cell on top of the size factor, so the
# channel mix (GC) and the round-to-round change (UK) differ a little between copies.
MIX_SIGMA = 0.1

SI_DATASET = "tbs_canada__service_inventory"
SI_FILE = "si_2024.csv"
SP_FILE = "serv_prog.csv"
GDS_DATASET = "gds__transactions_explorer"
GDS_FILE = "transaction-volumes.csv"
RBPO_DATASET = "tbs_canada__program_spending_ftes"
RBPO_FILE = "rbpo.csv"
# Every (dataset, file) this module regenerates, with its random stream number.
REGENERATED = {(SI_DATASET, SI_FILE): 1, (SI_DATASET, SP_FILE): 2, (GDS_DATASET, GDS_FILE): 3}

SI_CHANNELS = [
    c for c in SI_COUNTS if c.startswith("num_applications_") and c != "num_applications_total"
]
SI_TOTAL = "num_applications_total"
SI_OTHER_COUNTS = [c for c in SI_COUNTS if c not in SI_CHANNELS and c != SI_TOTAL]
SI_NAMES = ["service_name_en", "service_name_fr"]
GDS_NAME = "Name of service"
GDS_ROUNDS = ["2012 Q4", "2013 Q1"]

MARKER = ".generated-by-benchmarks-scale"
NUMBER = r"^\d[\d,]*(\.0*)?$"  # a count as the readers accept it (thousands separators allowed)
FISCAL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")


@dataclass(frozen=True)
class ScaledFile:
    """One regenerated file: data rows (original + generated), size, checksum, seconds taken."""

    dataset_id: str
    file: str
    original_rows: int
    rows: int
    bytes: int
    sha256: str
    seconds: float


@dataclass(frozen=True)
class ScaleResult:
    mirror: Path
    sources: Path
    factor: int
    years: int
    seed: int
    files: tuple[ScaledFile, ...]
    seconds: float


# --- shared helpers -------------------------------------------------------------------------------


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, stream]))


def _line_end(data: bytes) -> bytes:
    """The file's line terminator, taken from its header line."""
    first = data.split(b"\n", 1)[0]
    return b"\r\n" if first.endswith(b"\r") else b"\n"


def _append(original: bytes, rows: bytes, line_end: bytes) -> bytes:
    """`original` followed by `rows` (terminated lines), keeping whether the file ends in a line
    break: the Transactions Explorer export does not, the GC files do."""
    if not rows:
        return original
    if original.endswith(line_end):
        return original + rows
    return original + line_end + rows[: -len(line_end)]


def _count_value(text: pl.Expr) -> pl.Expr:
    """The count in a text cell as Int64, null for markers (NA, ND) and empty cells."""
    stripped = text.str.strip_chars()
    number = stripped.str.replace_all(",", "").cast(pl.Float64, strict=False).cast(pl.Int64)
    return pl.when(stripped.str.contains(NUMBER)).then(number).otherwise(None)


def _perturb(value: pl.Expr, factor: pl.Expr) -> pl.Expr:
    """value x factor rounded; zero stays zero, a positive count stays positive, null stays null."""
    scaled = (value.cast(pl.Float64) * factor).round(0).cast(pl.Int64)
    return pl.when(value > 0).then(pl.max_horizontal(scaled, pl.lit(1, pl.Int64))).otherwise(value)


def _as_text(original: str, value: pl.Expr) -> pl.Expr:
    """A perturbed count back in its text cell; markers and empty cells stay as they were."""
    return pl.when(value.is_not_null()).then(value.cast(pl.String)).otherwise(pl.col(original))


def _factors(rng: np.random.Generator, rows: int, cells: Sequence[str]) -> pl.DataFrame:
    """Per generated row: `_size` and one `_mix_<cell>` per cell, all lognormal."""
    size = rng.lognormal(0.0, SIZE_SIGMA, rows)
    mix = rng.lognormal(0.0, MIX_SIGMA, (rows, len(cells)))
    return pl.DataFrame(
        {"_size": size, **{f"_mix_{c}": mix[:, i] for i, c in enumerate(cells)}},
        schema={"_size": pl.Float64, **{f"_mix_{c}": pl.Float64 for c in cells}},
    )


def _factor(cell: str) -> pl.Expr:
    return pl.col("_size") * pl.col(f"_mix_{cell}")


def _copies(frame: pl.DataFrame, copies: Sequence[int]) -> pl.DataFrame:
    """`frame` once per copy number, copy by copy (all of copy 2, then all of copy 3, ...)."""
    if not copies:
        return frame.clear().with_columns(pl.lit(None, pl.Int64).alias("_copy"))
    numbers = pl.DataFrame({"_copy": list(copies)}, schema={"_copy": pl.Int64})
    return numbers.join(frame, how="cross").select(*frame.columns, "_copy")


def _suffixed(column: str) -> pl.Expr:
    """`<value>-s<k>` for ids; copy 1 keeps the original."""
    return (
        pl.when(pl.col("_copy") == 1)
        .then(pl.col(column))
        .otherwise(pl.concat_str(pl.col(column).str.strip_chars(), pl.lit("-s"), pl.col("_copy")))
        .alias(column)
    )


def _renamed(column: str) -> pl.Expr:
    """`<name> (s<k>)` for names; copy 1 and empty names keep the original."""
    return (
        pl.when(pl.col("_copy") == 1)
        .then(pl.col(column))
        .otherwise(
            pl.concat_str(
                pl.col(column).str.strip_chars(), pl.lit(" (s"), pl.col("_copy"), pl.lit(")")
            )
        )
        .alias(column)
    )


def _check_unique(frame: pl.DataFrame, key: Sequence[str], what: str) -> None:
    duplicated = frame.select(key).is_duplicated()
    if duplicated.any():
        sample = frame.filter(duplicated).select(key).head(3).rows()
        raise ValueError(f"{what}: generated keys {list(key)} collide, e.g. {sample}")


def _read_text_frame(data: bytes) -> pl.DataFrame:
    """Every column as text, exactly as in the file (empty cells null)."""
    return pl.read_csv(data, infer_schema=False, raise_if_empty=True)


def _write_rows(frame: pl.DataFrame, line_end: bytes) -> bytes:
    """Data rows quoted where necessary, the way the GC files are written (checked: polars writes
    the original files back byte for byte)."""
    if frame.height == 0:
        return b""
    buffer = io.BytesIO()
    frame.write_csv(
        buffer, include_header=False, quote_style="necessary", line_terminator=line_end.decode()
    )
    return buffer.getvalue()


# --- GC Service Inventory ---------------------------------------------------------------------


def fiscal_years_with_spending(rbpo: Path) -> list[str]:
    """Fiscal years of the programme spending file with actual spending reported for some
    programme: the years whose services can still be costed."""
    frame = read_program_spending_ftes(rbpo)
    years = frame.filter(pl.col("actual_spending").is_not_null()).get_column("fy_ef").unique()
    return sorted(years.to_list())


def _shift_year(column: str, back: pl.Expr) -> pl.Expr:
    """'2023-2024' moved `back` years earlier."""
    parts = pl.col(column).str.strip_chars().str.extract_groups(r"^(\d{4})-(\d{4})$")
    start = parts.struct.field("1").cast(pl.Int64) - back
    end = parts.struct.field("2").cast(pl.Int64) - back
    return (
        pl.when(back == 0)
        .then(pl.col(column))
        .otherwise(pl.concat_str(start.cast(pl.String), pl.lit("-"), end.cast(pl.String)))
        .alias(column)
    )


def _earlier_years(inventory: pl.DataFrame) -> pl.DataFrame:
    """Per service (`_id`): its earliest fiscal year in the inventory (`_fy`) and that row."""
    earliest = (
        inventory.select(
            pl.col("service_id").str.strip_chars().alias("_id"),
            pl.col("fiscal_yr").str.strip_chars().alias("_fy"),
            "_row",
        )
        .sort("_fy", "_row")
        .group_by("_id", maintain_order=True)
        .first()
    )
    bad = earliest.filter(~pl.col("_fy").str.contains(FISCAL_YEAR.pattern))
    if bad.height:
        raise ValueError(f"{SI_FILE}: fiscal_yr {bad['_fy'][0]!r} is not like 2023-2024")
    return earliest


def scale_service_inventory(
    data: bytes, factor: int, years: int, rng: np.random.Generator, covered: Sequence[str] | None
) -> tuple[bytes, int, int]:
    """si_2024.csv with `factor` copies of every service and `years - 1` earlier fiscal years.

    Returns the new file, its data rows and the original's. Generated rows: copies 2..factor of
    every row (same fiscal year), then for each earlier year copies 1..factor of every service's
    earliest row with the fiscal year moved back.
    """
    line_end = _line_end(data)
    original = _read_text_frame(data)
    missing = [c for c in SI_COLUMNS if c not in original.columns]
    if missing:
        raise ValueError(f"{SI_FILE}: columns {missing} are missing")
    # Counts parsed once per original row: `_v_<count>` (null for markers) and `_v__remainder`,
    # the applications the total has beyond the reported channels (negative when they exceed it).
    channel_sum = pl.sum_horizontal([pl.col(f"_v_{c}").fill_null(0) for c in SI_CHANNELS])
    indexed = (
        original.with_row_index("_row")
        .with_columns([_count_value(pl.col(c)).alias(f"_v_{c}") for c in SI_COUNTS])
        .with_columns((pl.col(f"_v_{SI_TOTAL}") - channel_sum).alias("_v__remainder"))
    )
    plan = [_copies(indexed, range(2, factor + 1)).with_columns(pl.lit(0, pl.Int64).alias("_back"))]
    if years > 1:
        earliest = _earlier_years(indexed)
        starts = earliest.get_column("_fy").str.slice(0, 4).cast(pl.Int64)
        wanted = sorted(
            {f"{s - b}-{s - b + 1}" for s in starts.unique().to_list() for b in range(1, years)}
        )
        if covered is not None:
            absent = [y for y in wanted if y not in set(covered)]
            if absent:
                raise ValueError(
                    f"years={years} needs fiscal years {absent}, which {RBPO_DATASET}/{RBPO_FILE} "
                    f"does not cover (actual spending for {covered[0]} to {covered[-1]}): "
                    "their services could not be costed"
                )
        base = indexed.join(earliest.select("_row"), on="_row", how="semi")
        for back in range(1, years):
            plan.append(
                _copies(base, range(1, factor + 1)).with_columns(
                    pl.lit(back, pl.Int64).alias("_back")
                )
            )
    generated = pl.concat(plan)
    counts = [*SI_CHANNELS, *SI_OTHER_COUNTS, "_remainder"]
    generated = pl.concat([generated, _factors(rng, generated.height, counts)], how="horizontal")

    values = {c: pl.col(f"_v_{c}") for c in SI_COUNTS}
    new = {
        c: _perturb(values[c], _factor(c)).alias(f"_n_{c}")
        for c in [*SI_CHANNELS, *SI_OTHER_COUNTS]
    }
    generated = generated.with_columns(*new.values())
    new_sum = pl.sum_horizontal([pl.col(f"_n_{c}").fill_null(0) for c in SI_CHANNELS])
    # Total = sum of the channels (+ the original's unattributed remainder, scaled); where the
    # channels exceeded the total, the total stays below their new sum (the reader flags it).
    remainder = pl.col("_v__remainder")
    new_total = (
        pl.when(values[SI_TOTAL].is_null())
        .then(None)
        .when(remainder >= 0)
        .then(new_sum + _perturb(remainder, _factor("_remainder")))
        .otherwise(
            pl.min_horizontal(_perturb(values[SI_TOTAL], _factor("_remainder")), new_sum - 1).clip(
                lower_bound=0
            )
        )
    )
    generated = generated.with_columns(
        *[_as_text(c, pl.col(f"_n_{c}")).alias(c) for c in new],
        _as_text(SI_TOTAL, new_total).alias(SI_TOTAL),
        _suffixed("service_id"),
        *[_renamed(c) for c in SI_NAMES],
        _shift_year("fiscal_yr", pl.col("_back")),
    ).select(original.columns)

    everything = pl.concat([original, generated]).select(
        pl.col("service_id").str.strip_chars(), pl.col("fiscal_yr").str.strip_chars()
    )
    _check_unique(everything, ["service_id", "fiscal_yr"], SI_FILE)
    return (
        _append(data, _write_rows(generated, line_end), line_end),
        everything.height,
        original.height,
    )


def scale_service_programmes(data: bytes, factor: int) -> tuple[bytes, int, int]:
    """serv_prog.csv with every link repeated for copies 2..factor of its service (`<id>-s<k>`)."""
    line_end = _line_end(data)
    original = _read_text_frame(data)
    missing = [c for c in SP_COLUMNS if c not in original.columns]
    if missing:
        raise ValueError(f"{SP_FILE}: columns {missing} are missing")
    generated = _copies(original, range(2, factor + 1)).with_columns(_suffixed("service_id"))
    generated = generated.select(original.columns)
    rows = original.height + generated.height
    return _append(data, _write_rows(generated, line_end), line_end), rows, original.height


# --- GDS Transactions Explorer ------------------------------------------------------------------


def scale_transaction_volumes(
    data: bytes, factor: int, rng: np.random.Generator
) -> tuple[bytes, int, int]:
    """transaction-volumes.csv with copies 2..factor of every service.

    The export quotes every field and leaves HTML quotes unescaped, so rows are parsed with the
    reader's tolerant parser and written back the same way ('"' + value + '"', no escaping): the
    generated rows carry the same quirks (and flags) as their originals.
    """
    text = data.decode("utf-8-sig")
    line_end = _line_end(data)
    records, _, raw = parse_tolerant_csv(text, SourceRef(GDS_DATASET, GDS_FILE))
    header = records[0]
    if header != GDS_COLUMNS:
        raise ValueError(f"{GDS_FILE}: unexpected header {header}")
    for row, (fields, source) in enumerate(zip(records, raw, strict=True)):
        if ",".join(f'"{f}"' for f in fields) != source:
            raise ValueError(
                f"{GDS_FILE}: row {row} is not written as every field quoted, quotes unescaped; "
                "the generator would not reproduce its format"
            )
    original = pl.DataFrame(
        {name: [r[k] for r in records[1:]] for k, name in enumerate(header)},
        schema={name: pl.String for name in header},
    )
    generated = _copies(original, range(2, factor + 1))
    cells = [f"{r}: {m}" for r in GDS_ROUNDS for m in ("volume", "digital volume")]
    generated = pl.concat([generated, _factors(rng, generated.height, cells)], how="horizontal")
    updates = []
    for prefix in GDS_ROUNDS:
        volume, digital = f"{prefix}: volume", f"{prefix}: digital volume"
        v, d = _count_value(pl.col(volume)), _count_value(pl.col(digital))
        new_v, new_d = _perturb(v, _factor(volume)), _perturb(d, _factor(digital))
        # Digital volume is a subset of volume: keep it at most the volume where it was (and above
        # it where the original was, so the reader's digital_volume_exceeds_volume flag is kept).
        new_d = (
            pl.when(v.is_null() | d.is_null())
            .then(new_d)
            .when(d <= v)
            .then(pl.min_horizontal(new_d, new_v))
            .otherwise(pl.max_horizontal(new_d, new_v + 1))
        )
        updates += [_as_text(volume, new_v).alias(volume), _as_text(digital, new_d).alias(digital)]
    generated = generated.with_columns(*updates, _renamed(GDS_NAME)).select(header)
    names = pl.concat(
        [original.get_column(GDS_NAME), generated.get_column(GDS_NAME)]
    ).str.strip_chars()
    _check_unique(names.to_frame(), [GDS_NAME], GDS_FILE)
    if generated.height:
        lines = generated.select(
            pl.concat_str([pl.lit('"') + pl.col(c) + pl.lit('"') for c in header], separator=",")
        ).to_series()
        end = line_end.decode()
        body = (end.join(lines.to_list()) + end).encode("utf-8")
    else:
        body = b""
    return _append(data, body, line_end), len(records) - 1 + generated.height, len(records) - 1


# --- mirror and registry ------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_replaceable(folder: Path, original: Path) -> None:
    """`folder` may be (re)written: absent, empty or an earlier output of this module (it holds
    MARKER). Anything else is refused: the generator never deletes what it did not write."""
    if folder.resolve() == original.resolve():
        raise ValueError(f"the output {folder} is the input itself")
    if folder.is_symlink() or folder.is_file():
        raise FileExistsError(f"{folder} exists and is not a folder this generator wrote")
    if folder.is_dir() and not (folder / MARKER).is_file() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} exists and is not a folder this generator wrote")


def _replace(folder: Path, staged: Path) -> None:
    """Move the finished `staged` folder to `folder`, removing an earlier output there."""
    if folder.is_dir():
        shutil.rmtree(folder)
    staged.rename(folder)


def _files_csv(data: bytes, written: dict[tuple[str, str], ScaledFile]) -> bytes:
    """The mirror's FILES.csv with bytes and sha256 of the regenerated files updated; every other
    line is kept as it is."""
    text = data.decode("utf-8")
    lines = text.splitlines(keepends=True)
    out = [lines[0]] if lines else []
    header = next(csv.reader([lines[0]])) if lines else []
    for line in lines[1:]:
        fields = next(csv.reader([line]), [])
        entry = dict(zip(header, fields, strict=False))
        scaled = written.get((entry.get("dataset_id", ""), entry.get("file", "")))
        if scaled is not None:
            entry.update(bytes=str(scaled.bytes), sha256=scaled.sha256)
            ending = line[len(line.rstrip("\r\n")) :]
            line = ",".join(entry[h] for h in header) + ending
        out.append(line)
    return "".join(out).encode("utf-8")


def _registry_entry(path: Path, written: dict[tuple[str, str], ScaledFile], note: str) -> str:
    """A registry entry with the regenerated files' bytes, sha256 and a description saying so."""
    entry = yaml.safe_load(path.read_text(encoding="utf-8"))
    for item in entry.get("files", []):
        scaled = written.get((entry["dataset_id"], item["name"]))
        if scaled is None:
            continue
        item["bytes"] = scaled.bytes
        item["sha256"] = scaled.sha256
        item["description"] = (
            f"{note}: {scaled.rows:,} data rows from the original's {scaled.original_rows:,}. "
            f"Original: {item.get('description', '').strip()}"
        )
    comment = (
        f"# {note}.\n# Copy of data_contracts/sources/{path.name} with bytes and sha256 of the "
        "regenerated files; do not commit.\n"
    )
    return comment + yaml.safe_dump(entry, sort_keys=False, allow_unicode=True, width=100)


def scale_inputs(
    out: Path,
    factor: int,
    years: int = 1,
    seed: int = 0,
    mirror: Path | None = None,
    sources: Path | None = None,
) -> ScaleResult:
    """`build_scaled_inputs`, returning what was written (rows, bytes, checksums, seconds)."""
    from ingestion.settings import mirror_dir, sources_dir

    if factor < 1 or years < 1 or seed < 0:
        raise ValueError("factor and years must be at least 1 and seed non-negative")
    mirror = mirror or mirror_dir()
    if mirror is None:
        raise ValueError("no mirror: pass mirror= or set ATLAS_MIRROR")
    mirror = Path(mirror).resolve()
    sources = Path(sources or sources_dir()).resolve()
    out = Path(out).absolute()
    started = time.perf_counter()
    mirror_final, sources_final = out / "mirror", out / "sources"
    _check_replaceable(mirror_final, mirror)
    _check_replaceable(sources_final, sources)
    # Built in a staging folder and moved into place at the end: a failure (say, years the
    # spending file does not cover) leaves an earlier output as it was.
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".scale-", dir=out))
    try:
        result = _write(staging, factor, years, seed, mirror, sources)
        for final, staged in ((mirror_final, result.mirror), (sources_final, result.sources)):
            _replace(final, staged)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result = replace(
        result, mirror=mirror_final, sources=sources_final, seconds=time.perf_counter() - started
    )
    summary = {
        **{k: v for k, v in asdict(result).items() if k != "files"},
        "mirror": str(mirror_final),
        "sources": str(sources_final),
        "input_mirror": str(mirror),
        "input_sources": str(sources),
        "size_sigma": SIZE_SIGMA,
        "mix_sigma": MIX_SIGMA,
        "files": [asdict(f) for f in result.files],
    }
    (out / "scale.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return result


def _write(
    out: Path, factor: int, years: int, seed: int, mirror: Path, sources: Path
) -> ScaleResult:
    """Write <out>/mirror and <out>/sources (paths of the returned result; seconds is 0)."""
    mirror_out, sources_out = out / "mirror", out / "sources"
    for folder in (mirror_out, sources_out):
        folder.mkdir()
        (folder / MARKER).write_text("written by python -m benchmarks.scale\n", encoding="utf-8")

    covered = None
    if years > 1:
        rbpo = mirror / RBPO_DATASET / RBPO_FILE
        if not rbpo.is_file():
            raise ValueError(f"years > 1 needs {rbpo} to choose fiscal years that can be costed")
        covered = fiscal_years_with_spending(rbpo)

    generators: dict[tuple[str, str], Callable[[bytes], tuple[bytes, int, int]]] = {
        (SI_DATASET, SI_FILE): lambda d: scale_service_inventory(
            d, factor, years, _rng(seed, REGENERATED[(SI_DATASET, SI_FILE)]), covered
        ),
        (SI_DATASET, SP_FILE): lambda d: scale_service_programmes(d, factor),
        (GDS_DATASET, GDS_FILE): lambda d: scale_transaction_volumes(
            d, factor, _rng(seed, REGENERATED[(GDS_DATASET, GDS_FILE)])
        ),
    }
    changes = factor > 1 or years > 1
    written: dict[tuple[str, str], ScaledFile] = {}
    for dataset in sorted(p for p in mirror.iterdir() if p.is_dir()):
        target = mirror_out / dataset.name
        target.mkdir()
        for item in sorted(dataset.iterdir()):
            key = (dataset.name, item.name)
            generate = generators.get(key)
            if generate is None or not changes or (key[1] == SP_FILE and factor == 1):
                (target / item.name).symlink_to(item.resolve())
                continue
            t0 = time.perf_counter()
            data, rows, original_rows = generate(item.read_bytes())
            (target / item.name).write_bytes(data)
            written[key] = ScaledFile(
                dataset.name,
                item.name,
                original_rows,
                rows,
                len(data),
                _sha256(data),
                time.perf_counter() - t0,
            )
    for item in sorted(p for p in mirror.iterdir() if not p.is_dir()):
        if item.name == "FILES.csv" and written:
            (mirror_out / item.name).write_bytes(_files_csv(item.read_bytes(), written))
        else:
            (mirror_out / item.name).symlink_to(item.resolve())

    note = (
        f"Generated by the benchmark scale generator (python -m benchmarks.scale, "
        f"factor={factor}, years={years}, seed={seed})"
    )
    datasets = {d for d, _ in written}
    for path in sorted(sources.glob("*.yml")):
        if path.stem in datasets:
            (sources_out / path.name).write_text(
                _registry_entry(path, written, note), encoding="utf-8"
            )
        else:
            shutil.copyfile(path, sources_out / path.name)
    return ScaleResult(mirror_out, sources_out, factor, years, seed, tuple(written.values()), 0.0)


def build_scaled_inputs(
    out: Path,
    factor: int,
    years: int = 1,
    seed: int = 0,
    mirror: Path | None = None,
    sources: Path | None = None,
) -> tuple[Path, Path]:
    """Write `<out>/mirror/` and `<out>/sources/` with `factor` copies of every service (and
    `years` fiscal years of the GC inventory); return (mirror_dir, sources_dir).

    `mirror` defaults to ATLAS_MIRROR, `sources` to the registry (ATLAS_SOURCES_DIR or
    data_contracts/sources). See the module docstring for how copies are made. A previous output
    of this function in `out` is replaced; any other existing `<out>/mirror` or `<out>/sources`
    is refused.
    """
    result = scale_inputs(out, factor, years, seed, mirror, sources)
    return result.mirror, result.sources


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scale",
        description="Write a scaled copy of the data mirror and source registry for benchmarks.",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder (mirror/, sources/)")
    parser.add_argument("--factor", type=int, required=True, help="copies of every service (>= 1)")
    parser.add_argument("--years", type=int, default=1, help="fiscal years of the GC inventory")
    parser.add_argument("--seed", type=int, default=0, help="random seed (>= 0)")
    parser.add_argument("--mirror", type=Path, default=None, help="input mirror (ATLAS_MIRROR)")
    parser.add_argument("--sources", type=Path, default=None, help="input registry folder")
    args = parser.parse_args(argv)
    result = scale_inputs(args.out, args.factor, args.years, args.seed, args.mirror, args.sources)
    print(f"factor={result.factor} years={result.years} seed={result.seed}")
    for f in result.files:
        print(
            f"  {f.dataset_id}/{f.file}: {f.rows:,} rows ({f.original_rows:,} originally), "
            f"{f.bytes:,} bytes, {f.seconds:.2f} s"
        )
    if not result.files:
        print("  nothing regenerated: every file is a symlink to the original")
    print(f"mirror:  {result.mirror}  (ATLAS_MIRROR)")
    print(f"sources: {result.sources}  (ATLAS_SOURCES_DIR)")
    print(f"done in {result.seconds:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
