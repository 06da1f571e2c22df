"""Get a registered source file: from ATLAS_MIRROR when set, else from its official URL via a cache.

Whatever the route, the file's sha256 must match the registry before anyone reads it, so a
republished or corrupted file stops the pipeline with a clear message instead of flowing through.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import requests

from ingestion.errors import FetchError
from ingestion.registry import SourceFile, get_source
from ingestion.settings import cache_dir, download_timeout_seconds, mirror_dir

_MIRROR_HINT = (
    "Set ATLAS_MIRROR to a folder laid out like the data mirror "
    "(<folder>/<dataset_id>/<file>), e.g. ATLAS_MIRROR=../shared/mirror"
)
# Largest file a download may write: a little over the largest registered file, so that a hostile
# or broken server cannot fill the disk.
MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verify(dataset_id: str, entry: SourceFile, path: Path, origin: str) -> None:
    actual = sha256_of(path)
    if actual != entry.sha256:
        raise FetchError(
            f"checksum mismatch for the file from {origin}: expected sha256 {entry.sha256}, "
            f"got {actual} ({path.stat().st_size} bytes, registry says {entry.bytes})",
            dataset_id=dataset_id,
            file=entry.name,
            hint=(
                "The file changed or is corrupt. If the publisher republished it, review the new "
                "file and update sha256 and bytes in data_contracts/sources/"
                f"{dataset_id}.yml; otherwise restore the original"
            ),
        )


def _download(dataset_id: str, entry: SourceFile, target: Path) -> None:
    source = get_source(dataset_id)
    if entry.host not in source.allowed_hosts or not entry.url.startswith("https://"):
        raise FetchError(
            f"refusing to download from {entry.url}: only https URLs on the registry's hosts",
            dataset_id=dataset_id,
            file=entry.name,
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    timeout = download_timeout_seconds()
    try:
        with requests.get(entry.url, stream=True, timeout=(timeout, timeout)) as response:
            response.raise_for_status()
            fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".part-")
            written = 0
            with os.fdopen(fd, "wb") as out:
                for chunk in response.iter_content(chunk_size=1 << 20):
                    written += len(chunk)
                    if written > max(MAX_DOWNLOAD_BYTES, entry.bytes * 2):
                        raise FetchError(
                            f"download exceeded the size cap ({written} bytes so far)",
                            dataset_id=dataset_id,
                            file=entry.name,
                        )
                    out.write(chunk)
    except requests.RequestException as exc:
        raise FetchError(
            f"could not download {entry.url}: {exc.__class__.__name__}: {exc}",
            dataset_id=dataset_id,
            file=entry.name,
            hint=_MIRROR_HINT,
        ) from exc
    tmp = Path(tmp_name)
    try:
        _verify(dataset_id, entry, tmp, entry.url)
    except FetchError:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)


def fetch(dataset_id: str, file: str) -> Path:
    """Return a local path to a verified copy of one registered source file.

    With ATLAS_MIRROR set the file is read in place from the mirror (never copied); otherwise it is
    downloaded once into the cache and re-verified on every later call.
    """
    try:
        entry = get_source(dataset_id).file(file)
    except KeyError as exc:
        raise FetchError(str(exc.args[0]), dataset_id=dataset_id, file=file) from exc
    mirror = mirror_dir()
    if mirror is not None:
        path = mirror / dataset_id / file
        if not path.is_file():
            raise FetchError(
                f"missing from the mirror: {path} does not exist",
                dataset_id=dataset_id,
                file=file,
                hint=f"ATLAS_MIRROR is {mirror}. {_MIRROR_HINT}",
            )
        _verify(dataset_id, entry, path, f"mirror {path}")
        return path
    cached = cache_dir() / dataset_id / file
    if not cached.is_file():
        _download(dataset_id, entry, cached)
    _verify(dataset_id, entry, cached, f"cache {cached}")
    return cached
