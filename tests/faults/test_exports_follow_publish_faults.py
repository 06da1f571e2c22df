"""Publish and exports end on the same version: after a rollback `exports/latest` follows the
published pointer when that version's exports exist, and when they do not (exports failed, were
killed or pruned) the operator is told which is behind and the command that repairs it."""

from __future__ import annotations

import json
import os
from pathlib import Path

from reporting.exports import current_export, follow_published

OLD, NEW, GONE = "20260101T120000Z-aaaaaaaa", "20260102T120000Z-bbbbbbbb", "20260103T120000Z-cccccccc"


def _exports(root: Path, *versions: str, latest: str) -> Path:
    for version in versions:
        (root / version).mkdir(parents=True)
        (root / version / "manifest.json").write_text(json.dumps({"publish_id": version}), encoding="utf-8")
    os.symlink(latest, root / "latest")
    return root


def test_a_rollback_moves_the_exports_pointer_with_the_published_one(tmp_path):
    root = _exports(tmp_path / "exports", OLD, NEW, latest=NEW)
    message = follow_published(OLD, root)
    assert current_export(root) == OLD
    assert OLD in message and "readers see" in message


def test_exports_that_failed_or_were_killed_are_reported_behind_with_the_repair(tmp_path):
    root = _exports(tmp_path / "exports", OLD, latest=OLD)
    (root / GONE).mkdir()  # a half-written folder without its manifest (a kill -9 mid-export)
    message = follow_published(GONE, root)
    assert current_export(root) == OLD  # never a version whose exports are incomplete
    assert "exports are behind" in message and GONE in message and OLD in message
    assert "--select key:exports/atlas" in message


def test_nothing_moves_when_they_already_agree(tmp_path):
    root = _exports(tmp_path / "exports", NEW, latest=NEW)
    assert follow_published(NEW, root) == f"exports/latest is {NEW}"
    assert current_export(root) == NEW
