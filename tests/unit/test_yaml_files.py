"""ingestion.yaml_files.safe_load (libyaml's safe loader) reads every YAML file of the project as
yaml.safe_load (the pure-Python loader it replaced, issue 18) does."""

from __future__ import annotations

import pytest
import yaml

from ingestion import yaml_files
from ingestion.settings import PROJECT_ROOT

FILES = sorted(
    path for pattern in ("data_contracts/**/*.yml", "ingestion/**/*.yml", "ingestion/**/*.yaml",
                         "dbt_project/**/*.yml", "scoring/**/*.yml", "reporting/**/*.yml")
    for path in PROJECT_ROOT.glob(pattern)
    if "target" not in path.parts and "logs" not in path.parts
)


def test_the_c_loader_is_used_where_pyyaml_has_it():
    assert len(FILES) > 80
    if yaml.__with_libyaml__:
        assert yaml_files.SAFE_LOADER is yaml.CSafeLoader
    assert issubclass(yaml_files.SAFE_LOADER, (yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_every_project_yaml_file_loads_as_the_python_loader_reads_it(path):
    text = path.read_text(encoding="utf-8")
    assert yaml_files.safe_load(text) == yaml.safe_load(text)


@pytest.mark.parametrize("text", [
    "a: 1\nb: [1, 2.5, 'x']\nc: null\nd: 2024-01-31\ne: yes\nf: '0123'\ng: 1e3\n",
    "- !!str 12\n- ~\n- .inf\n- 0o17\n- 1_000\n", "", "# only a comment\n",
])
def test_edge_cases_load_alike(text):
    assert yaml_files.safe_load(text) == yaml.safe_load(text)


def test_an_unsafe_tag_is_refused_by_both():
    text = "!!python/object/apply:os.system ['true']\n"
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(text)
    with pytest.raises(yaml.YAMLError):
        yaml_files.safe_load(text)
