"""RGS Conto Annuale code lists on small hand-written files: semicolons, UTF-8 with accented
capitals (a Windows-1252 copy is refused, not turned into mojibake), codes with leading zeros and
the flagged text quirks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.errors import AtlasDataError
from ingestion.rgs_italy.conto_annuale_codes import (
    read_comparto_contratto,
    read_contratto_qualifica,
    read_voce_spesa,
)

VOCE = (
    "ANNO;CODI_TIPO_VOCE_SPESA;CODI_VOCE_SPESA;DESC_VOCE_SPESA;FLAG_SEGNO\n"
    "2024;A;35;TREDICESIMA MENSILITA';+\n"
    "2024;I;126;INDENNITÀ DI TURNAZIONE;+\n"
    "2024;P;72;SOMME RIMBORSATE ALLE UNIVERSITÀ PER INDENNITÀ DE MARIA;-\n"
)


def _write(tmp_path: Path, name: str, text: str, *, encoding: str = "utf-8", bom: bool = True):
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def test_accented_capitals_are_decoded_and_codes_stay_text(tmp_path):
    frame = read_voce_spesa(_write(tmp_path, "VoceSpesa.CSV", VOCE))
    assert frame.columns[:5] == [
        "anno",
        "codi_tipo_voce_spesa",
        "codi_voce_spesa",
        "desc_voce_spesa",
        "flag_segno",
    ]
    assert frame.get_column("desc_voce_spesa").to_list() == [
        "TREDICESIMA MENSILITA'",
        "INDENNITÀ DI TURNAZIONE",
        "SOMME RIMBORSATE ALLE UNIVERSITÀ PER INDENNITÀ DE MARIA",
    ]
    assert frame.get_column("codi_voce_spesa").to_list() == ["35", "126", "72"]
    assert frame.get_column("flag_segno").to_list() == ["+", "+", "-"]
    assert frame.get_column("anno").to_list() == [2024] * 3
    assert frame.get_column("_flags").null_count() == 3


def test_a_windows_1252_copy_is_refused_not_garbled(tmp_path):
    path = _write(tmp_path, "VoceSpesa.CSV", VOCE, encoding="cp1252", bom=False)
    with pytest.raises(AtlasDataError, match="not valid utf-8 text at byte") as caught:
        read_voce_spesa(path)
    assert caught.value.file == "VoceSpesa.CSV"


def test_comparto_codes_keep_leading_zeros_and_doubled_apostrophes_are_flagged(tmp_path):
    text = (
        "ANNO;CODI_COMPARTO;DESC_COMPARTO;CODI_AGGREGATO;DESC_AGGREGATO;CODI_CONTRATTO;"
        "DESC_CONTRATTO\n"
        "2024;FL;FUNZIONI LOCALI;04;REGIONI ED AUTONOMIE LOCALI;RALN;REGIONI E AUT.LOC. (CCNL NAZ.)\n"
        '2024;SA;"SANITA\'";01;SERVIZIO SANITARIO NAZIONALE;SSNA;SERVIZIO SANITARIO NAZIONALE\n'
        '2024;AF;COMPARTO AUTONOMO O FUORI COMPARTO;14;"AUTORITA\' INDIPENDENTI";AUIN;'
        "\"AUTORITA'' INDIPENDENTI\"\n"
    )
    frame = read_comparto_contratto(_write(tmp_path, "CompartoContratto.CSV", text))
    assert frame.get_column("codi_aggregato").to_list() == ["04", "01", "14"]
    assert frame.get_column("desc_comparto")[1] == "SANITA'"
    assert frame.get_column("desc_contratto")[2] == "AUTORITA'' INDIPENDENTI"
    assert frame.get_column("_flags").to_list() == [None, None, "doubled_apostrophe"]


QUALIFICA_HEADER = (
    "ANNO;CODI_CONTRATTO;CODI_MACROCATEGORIA;DESC_MACROCATEGORIA;CODI_CATEGORIA;DESC_CATEGORIA;"
    "CODI_QUALIFICA;DESC_QUALIFICA\n"
)


def test_grades_lost_characters_and_missing_grades_are_flagged(tmp_path):
    text = QUALIFICA_HEADER + (
        "2024;ERIC;AP;ALTRO PERSONALE;RC;ASSEGNISTA DI RICERCA;;\n"
        "2024;REFR;ND;PERSONALE NON DIRIGENTE;CD;CATEGORIA D;0D0I96;"
        "RESPONSABILE DEI SERVIZI O DEGLI UFFICI IN D.O.\n"
        "2024;MNST;MM;DIRIGENTI PROFESSIONALIT? SANITARIE (MINISTERO SALUTE);RM;"
        "DIRIGENTI SANITARI;0D0696;DIRIGENTE SANITARIO\n"
        "2024;RESA;ND;PERSONALE NON DIRIGENTE;CA;CATEGORIA A;023257;POS. ECON.  A1 ? AGENTE\n"
        "2024;SCAL;CO;PERSONALE DEL COMPARTO;SO;PERSONALE ATA;0ASTMA;TEMP. ASSISTENTI?\n"
    )
    frame = read_contratto_qualifica(
        _write(tmp_path, "ContrattoMacroCCategQualif.CSV", text, bom=False)
    )
    assert frame.height == 5
    assert frame.get_column("codi_qualifica").to_list() == [
        None,
        "0D0I96",
        "0D0696",
        "023257",
        "0ASTMA",
    ]
    assert frame.get_column("_flags").to_list() == [
        "no_qualifica",
        None,
        "lost_character",
        "lost_character",
        "lost_character",
    ]
    # Kept as published, including the double space.
    assert frame.get_column("desc_qualifica")[3] == "POS. ECON.  A1 ? AGENTE"


def test_a_duplicate_grade_is_refused_even_with_a_null_code(tmp_path):
    text = QUALIFICA_HEADER + (
        "2024;ERIC;AP;ALTRO PERSONALE;RC;ASSEGNISTA DI RICERCA;;\n"
        "2024;ERIC;AP;ALTRO PERSONALE;RC;ASSEGNISTA DI RICERCA;;\n"
    )
    with pytest.raises(AtlasDataError, match="duplicate key") as caught:
        read_contratto_qualifica(_write(tmp_path, "ContrattoMacroCCategQualif.CSV", text))
    assert caught.value.row == 2


def test_a_year_that_is_not_a_number_names_its_column(tmp_path):
    path = _write(tmp_path, "VoceSpesa.CSV", VOCE.replace("2024;I", "duemila;I"))
    with pytest.raises(AtlasDataError) as caught:
        read_voce_spesa(path)
    assert caught.value.column == "ANNO"
    assert caught.value.row == 2


def test_a_comma_separated_copy_is_refused_by_its_header(tmp_path):
    path = _write(tmp_path, "VoceSpesa.CSV", VOCE.replace(";", ","))
    with pytest.raises(AtlasDataError) as caught:
        read_voce_spesa(path)
    assert caught.value.column == "ANNO"
