"""A lost or corrupt manifest of the version readers see does not block later publishes: the next
publish goes through, compared with nothing, and says why."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from publishing import publish as pub
from tests.unit.test_publish import build, published  # noqa: F401 - the hand-made build warehouse


@pytest.mark.parametrize("damage", ["deleted", "corrupt"])
def test_a_damaged_current_manifest_does_not_block_the_next_publish(build, tmp_path, caplog, damage):  # noqa: F811
    directory = published(tmp_path)
    first = pub.publish(build, run_id="run-1", directory=directory)
    manifest = pub.manifest_file(directory, first["publish_id"])
    if damage == "deleted":
        manifest.unlink()
    else:
        os.chmod(manifest, stat.S_IWUSR | stat.S_IRUSR)
        manifest.write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="atlas.publish"):
        second = pub.publish(build, run_id="run-2", directory=directory)
    assert pub.current_publish_id(directory) == second["publish_id"]
    assert second["identical_to_previous"] is None
    assert any(first["publish_id"] in r.getMessage() and "cannot be read" in r.getMessage()
               for r in caplog.records)
