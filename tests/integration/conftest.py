import pytest
# DEV-ONLY-TEMP
import os as _os  # noqa: E402
from pathlib import Path as _Path  # noqa: E402

if _os.environ.get("DEV_REUSE_BUILD"):
    @pytest.fixture(scope="session")
    def built_warehouse(tmp_path_factory):
        import shutil
        dst = tmp_path_factory.mktemp("reuse")
        src = _Path(_os.environ["DEV_REUSE_BUILD"])
        shutil.copyfile(src / "atlas.duckdb", dst / "atlas.duckdb")
        shutil.copytree(src / "published", dst / "published", symlinks=True)
        return dst / "atlas.duckdb"
