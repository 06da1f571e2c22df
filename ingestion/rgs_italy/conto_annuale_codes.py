"""Ragioneria Generale dello Stato (MEF), Conto Annuale 2024 code lists ('anagrafiche'), as
republished by dataciviclab/open-conto-annuale: sectors and contracts (CompartoContratto), the job
dimension contract > macro-category > category > grade (ContrattoMacroCCategQualif) and pay/cost
items (VoceSpesa). Lookups only; no counts.

Encoding: the files are semicolon-separated and, despite the RGS site's habit of Windows-1252
exports, these copies are UTF-8 (two with a byte-order mark, one pure ASCII). They are decoded
strictly as UTF-8, so accented capitals survive ('INDENNITÀ DI TURNAZIONE') and a Latin-1/cp1252
re-publication is refused with its byte offset instead of turning into mojibake. Quirks kept as
published and flagged:
- an accent written as an apostrophe ("SANITA'", "UNIVERSITA'") is the Italian upper-case
  convention and is left alone; one label doubles it ("AUTORITA'' INDIPENDENTI"):
  `doubled_apostrophe`;
- in 27 grade rows a character lost in an earlier conversion was replaced by '?'
  ('PROFESSIONALIT?', 'POSIZIONE ECONOMICA D ? ISPETTORE'): `lost_character`;
- two rows of the grade list (research fellows, 'ASSEGNISTA DI RICERCA') have a category but no
  grade code: `no_qualifica`;
- codes stay text with their leading zeros ('04', '0D0I96').
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ingestion.readers import (
    ROW,
    RawTable,
    SourceRef,
    add_flags,
    cast_columns,
    contract_types,
    read_text_table,
    select_contract_order,
    snake_case,
)

DATASET_ID = "rgs_italy__conto_annuale_codes"
SEPARATOR = ";"
ENCODING = "utf-8"
# A '?' glued to a letter or standing alone between spaces replaces a lost character.
LOST_CHARACTER = r"[A-Za-z]\?|\s\?\s"


def _read(path: Path, ref: SourceRef, table: str, source_columns: list[str]) -> pl.DataFrame:
    """Strict UTF-8, semicolons, header checked; cast under the file's own (upper-case) names so
    that an error names the column as it is in the file; then snake_case ('ANNO' -> 'anno')."""
    frame = read_text_table(
        path, ref, expected_columns=source_columns, separator=SEPARATOR, encoding=ENCODING
    )
    types = contract_types(f"{DATASET_ID}__{table}", source_columns, snake_case)
    frame = cast_columns(frame, ref, types)
    return frame.rename({c: snake_case(c) for c in source_columns})


def _check_unique(frame: pl.DataFrame, ref: SourceRef, key: list[str]) -> None:
    """Nullable keys cannot be a contract primary key: check them here (nulls compare equal)."""
    duplicated = frame.select(~pl.struct(key).is_first_distinct()).to_series()
    if duplicated.any():
        idx = duplicated.arg_true()[0]
        raise ref.error(
            f"duplicate key {key}: this row repeats an earlier one",
            column=key[-1],
            row=int(frame.get_column(ROW)[idx]),
            value=str(frame.select(key).row(idx)),
        )


def _text_flags(columns: list[str]) -> list[tuple[str, pl.Expr]]:
    return [
        (
            "doubled_apostrophe",
            pl.any_horizontal([pl.col(c).str.contains("''").fill_null(False) for c in columns]),
        ),
        (
            "lost_character",
            pl.any_horizontal(
                [pl.col(c).str.contains(LOST_CHARACTER).fill_null(False) for c in columns]
            ),
        ),
    ]


COMPARTO_SOURCE = [
    "ANNO",
    "CODI_COMPARTO",
    "DESC_COMPARTO",
    "CODI_AGGREGATO",
    "DESC_AGGREGATO",
    "CODI_CONTRATTO",
    "DESC_CONTRATTO",
]
COMPARTO_COLUMNS = [snake_case(c) for c in COMPARTO_SOURCE]


def read_comparto_contratto(path: Path, file: str = "CompartoContratto.CSV") -> pl.DataFrame:
    """One row per year and contract: its sector (comparto) and contract aggregate."""
    ref = SourceRef(DATASET_ID, file)
    frame = _read(path, ref, "comparto_contratto", COMPARTO_SOURCE)
    frame = add_flags(frame, _text_flags(["desc_comparto", "desc_aggregato", "desc_contratto"]))
    return select_contract_order(frame, COMPARTO_COLUMNS)


QUALIFICA_SOURCE = [
    "ANNO",
    "CODI_CONTRATTO",
    "CODI_MACROCATEGORIA",
    "DESC_MACROCATEGORIA",
    "CODI_CATEGORIA",
    "DESC_CATEGORIA",
    "CODI_QUALIFICA",
    "DESC_QUALIFICA",
]
QUALIFICA_COLUMNS = [snake_case(c) for c in QUALIFICA_SOURCE]


def read_contratto_qualifica(
    path: Path, file: str = "ContrattoMacroCCategQualif.CSV"
) -> pl.DataFrame:
    """One row per year, contract and job grade (qualifica), with macro-category and category."""
    ref = SourceRef(DATASET_ID, file)
    frame = _read(path, ref, "contratto_qualifica", QUALIFICA_SOURCE)
    _check_unique(frame, ref, ["anno", "codi_contratto", "codi_categoria", "codi_qualifica"])
    flags = _text_flags(["desc_macrocategoria", "desc_categoria", "desc_qualifica"])
    flags.append(("no_qualifica", pl.col("codi_qualifica").is_null()))
    frame = add_flags(frame, flags)
    return select_contract_order(frame, QUALIFICA_COLUMNS)


VOCE_SOURCE = ["ANNO", "CODI_TIPO_VOCE_SPESA", "CODI_VOCE_SPESA", "DESC_VOCE_SPESA", "FLAG_SEGNO"]
VOCE_COLUMNS = [snake_case(c) for c in VOCE_SOURCE]


def read_voce_spesa(path: Path, file: str = "VoceSpesa.CSV") -> pl.DataFrame:
    """One row per year, item type and pay/cost item code, with the sign it enters totals with."""
    ref = SourceRef(DATASET_ID, file)
    frame = _read(path, ref, "voce_spesa", VOCE_SOURCE)
    frame = add_flags(frame, _text_flags(["desc_voce_spesa"]))
    return select_contract_order(frame, VOCE_COLUMNS)


TABLES = (
    RawTable.from_contract(f"{DATASET_ID}__comparto_contratto", read_comparto_contratto),
    RawTable.from_contract(f"{DATASET_ID}__contratto_qualifica", read_contratto_qualifica),
    RawTable.from_contract(f"{DATASET_ID}__voce_spesa", read_voce_spesa),
)
