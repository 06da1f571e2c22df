"""The dbt project as dagster-dbt sees it, in a module of its own so that
`dagster-dbt project prepare-and-package --file orchestration/dbt_project.py` can build the
manifest before the definitions import."""

from __future__ import annotations

from dagster_dbt import DbtProject

from ingestion.settings import DBT_PROJECT_DIR
from orchestration import environment

environment.configure()

atlas_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
atlas_dbt_project.prepare_if_dev()
