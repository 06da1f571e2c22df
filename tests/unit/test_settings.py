"""Every `ATLAS_*` setting is declared once, in ingestion/settings.py: each name the code uses is
declared there, each declared one is used, and the settings table in docs/operations.md is the one
made from the declarations."""

from __future__ import annotations

import re
import subprocess

import pytest

from ingestion import settings
from ingestion.settings import (
    BY_NAME,
    OPERATIONS_DOC,
    PROJECT_ROOT,
    SETTINGS,
    SettingError,
    docs_rows,
    documented_rows,
    settings_problems,
)

NAME = re.compile(r"\bATLAS_[A-Z0-9_]*[A-Z0-9]\b")
# Where the code is: Python, dbt's profile and YAML, the Makefile, CI and shell scripts.
CODE = re.compile(r"(\.py|\.yml|\.yaml|\.sql|\.sh|\.cfg|\.toml|/Makefile|^Makefile|^\.ci/.*)$")


def _code_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [f for f in listed if CODE.search(f) and (PROJECT_ROOT / f).is_file()]


def _names_in_code() -> dict[str, str]:
    """Every ATLAS_ name the code mentions, with one file that does."""
    found: dict[str, str] = {}
    for name in _code_files():
        text = (PROJECT_ROOT / name).read_text(encoding="utf-8", errors="replace")
        for match in NAME.findall(text):
            found.setdefault(match, name)
    return found


def test_every_atlas_name_in_the_code_is_declared_in_the_settings_module():
    used = _names_in_code()
    undeclared = {n: f for n, f in used.items() if n not in BY_NAME}
    assert not undeclared, f"declare these in ingestion/settings.py (SETTINGS): {undeclared}"
    unused = sorted(set(BY_NAME) - set(used) - {"ATLAS_"})
    assert not unused, f"declared in ingestion/settings.py but read nowhere: {unused}"


def test_settings_are_read_only_through_the_settings_module():
    """No module but ingestion/settings.py reads an ATLAS_ variable from the environment itself.
    Setting one (for dbt or a child process) is fine, and so is dbt's env_var in profiles.yml."""
    read = re.compile(r"""(environ\.get|getenv)\(\s*["']ATLAS_|environ\[["']ATLAS_\w+["']\](?!\s*=[^=])""")
    readers = {f: line.strip() for f in _code_files() if f.endswith(".py") and f != "ingestion/settings.py"
               for line in (PROJECT_ROOT / f).read_text(encoding="utf-8").splitlines() if read.search(line)}
    assert not readers, f"read these through ingestion/settings.py: {readers}"


def test_every_setting_is_declared_once_and_documented():
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))
    for setting in SETTINGS:
        assert setting.name.startswith("ATLAS_") and setting.doc and setting.default and setting.values


def test_the_docs_table_is_the_one_made_from_the_settings_module():
    _, _, rows = documented_rows(OPERATIONS_DOC.read_text(encoding="utf-8"))
    documented = [re.match(r"\| `(ATLAS_\w+)`", r).group(1) for r in rows]
    assert documented == [s.name for s in SETTINGS], "run `python -m ingestion.settings --write`"
    assert rows == docs_rows(), "run `python -m ingestion.settings --write`"


# A bad value for each kind of check, and the advice its message must give.
BAD_VALUES = {"ATLAS_PUBLISH_KEEP": ("abc", "unset it"), "ATLAS_EXPORTS_KEEP": ("0", "unset it"),
              "ATLAS_SPARK_SHUFFLE_PARTITIONS": ("many", "unset it"),
              "ATLAS_SPARK_DRIVER_MEMORY": ("lots", "such as 2g"),
              "ATLAS_SOURCES_DIR": ("/nonexistent/registry", "create it, correct the path"),
              "ATLAS_ALLOWED_HOSTS": ("/nonexistent/hosts.yml", "correct the path")}


def test_a_bad_value_names_the_variable_and_what_to_do(monkeypatch):
    for variable, (bad, _) in BAD_VALUES.items():
        monkeypatch.setenv(variable, bad)
    problems = settings_problems()
    for variable, (_, advice) in BAD_VALUES.items():
        named = [p for p in problems if p.startswith(variable + " ")]
        assert len(named) == 1 and advice in named[0], (variable, problems)


def test_the_typed_readers_refuse_a_bad_value_and_fall_back_to_defaults(monkeypatch, tmp_path):
    for setting in SETTINGS:
        monkeypatch.delenv(setting.name, raising=False)
    assert settings_problems() == []
    assert settings.publish_keep() == 5 and settings.exports_keep() == 5
    monkeypatch.setenv("ATLAS_PUBLISH_KEEP", "3")
    assert settings.exports_keep() == 3  # exports follow the published versions unless told
    monkeypatch.setenv("ATLAS_EXPORTS_KEEP", "7")
    assert settings.exports_keep() == 7
    monkeypatch.setenv("ATLAS_DOWNLOAD_TIMEOUT", "soon")
    with pytest.raises(SettingError, match="ATLAS_DOWNLOAD_TIMEOUT must be a number of seconds"):
        settings.download_timeout_seconds()
    monkeypatch.setenv("ATLAS_ACCEPT_CHANGES", " a, b ,,")
    assert settings.accepted_changes() == {"a", "b"}
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(tmp_path / "w" / "atlas.duckdb"))
    assert settings.published_dir() == tmp_path / "w" / "published"
    assert settings.data_docs_dir() == tmp_path / "w" / "data_docs"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ATLAS_EXPORTS", "out")
    assert settings.exports_dir() == tmp_path / "out"  # relative: from the current directory


def test_an_undeclared_name_cannot_be_read():
    with pytest.raises(KeyError):
        settings.value("ATLAS_" + "NOT_A_SETTING")
