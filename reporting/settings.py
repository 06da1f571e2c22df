"""Where exports go (ATLAS_EXPORTS, default <project>/exports) and how many versions to keep."""

from __future__ import annotations

import os
from pathlib import Path

from ingestion.settings import PROJECT_ROOT

DEFAULT_KEEP = 5


def exports_dir() -> Path:
    """The exports folder: one sub-folder per publish id and a `latest` pointer."""
    value = os.environ.get("ATLAS_EXPORTS", "").strip()
    if value:
        path = Path(value).expanduser()
        return path if path.is_absolute() else (Path.cwd() / path).resolve()
    return PROJECT_ROOT / "exports"


def keep_exports() -> int:
    """Export folders kept (ATLAS_EXPORTS_KEEP, else ATLAS_PUBLISH_KEEP, default 5; at least 1):
    the same number as published versions, so every kept version has its exports."""
    value = os.environ.get("ATLAS_EXPORTS_KEEP") or os.environ.get("ATLAS_PUBLISH_KEEP")
    return max(1, int(value or DEFAULT_KEEP))
