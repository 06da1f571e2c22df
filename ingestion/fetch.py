"""Get a registered source file: from ATLAS_MIRROR when set, else from its official URL via a cache.

Whatever the route, the file's sha256 must match the registry before anyone reads it, so a
republished or corrupted file stops the pipeline with a clear message instead of flowing through.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import requests

from ingestion.errors import FetchError
from ingestion.registry import SourceFile, allowed_hosts, get_source
from ingestion.settings import cache_dir, download_timeout_seconds, mirror_dir

_MIRROR_HINT = (
    "Set ATLAS_MIRROR to a folder laid out like the data mirror "
    "(<folder>/<dataset_id>/<file>), e.g. ATLAS_MIRROR=../shared/mirror"
)
# Largest file a download may write: a little over the largest registered file, so that a hostile
# or broken server cannot fill the disk.
MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024
# Progress of a download is logged at most this often (seconds), and at the end.
PROGRESS_EVERY_SECONDS = 5.0

logger = logging.getLogger("atlas.fetch")
# Set by `refreshing()`: download again even when a verified copy is cached (the source sensor's
# runs use it to take a second look at a file whose HTTP validators changed).
_REFRESH: contextvars.ContextVar[bool] = contextvars.ContextVar("atlas_fetch_refresh", default=False)


@contextlib.contextmanager
def refreshing(enabled: bool = True) -> Iterator[None]:
    """Within the block, `fetch` downloads registered files again instead of using the cache
    (no effect with ATLAS_MIRROR set). A download that no longer matches the registry fails as
    usual and leaves the cached copy alone."""
    token = _REFRESH.set(enabled)
    try:
        yield
    finally:
        _REFRESH.reset(token)


def validators_file(cached: Path) -> Path:
    """Beside a cached download: the HTTP validators (ETag, Last-Modified, Content-Length) the
    server sent with it, which the source sensor compares with the server's current ones."""
    return cached.with_name(f".{cached.name}.http.json")


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


def check_url(dataset_id: str, entry: SourceFile) -> None:
    """Refuse a registry entry whose URL is not https or whose host is not on the allow-list
    (data_contracts/allowed_hosts.yml): the dataset fails, naming the entry; others go on."""
    where = f"data_contracts/sources/{dataset_id}.yml"
    if urlparse(entry.url).scheme != "https":
        raise FetchError(
            f"the registry gives an {urlparse(entry.url).scheme or 'unknown'} URL ({entry.url}): "
            "only https downloads are allowed",
            dataset_id=dataset_id,
            file=entry.name,
            hint=f"Give the file's https URL in {where}",
        )
    if entry.host.lower() not in allowed_hosts():
        raise FetchError(
            f"refusing to download from {entry.url}: host {entry.host!r} is not on the allow-list",
            dataset_id=dataset_id,
            file=entry.name,
            hint=f"The official hosts are in data_contracts/allowed_hosts.yml; correct the URL in {where}, "
                 "or add the host there with its reason after review",
        )


def _download(dataset_id: str, entry: SourceFile, target: Path) -> None:
    check_url(dataset_id, entry)  # before any request; a mirror read uses no URL
    target.parent.mkdir(parents=True, exist_ok=True)
    timeout = download_timeout_seconds()
    logger.info("%s/%s: downloading %s (%s bytes expected)", dataset_id, entry.name, entry.url,
                f"{entry.bytes:,}")
    started = last_report = time.monotonic()
    try:
        with requests.get(entry.url, stream=True, timeout=(timeout, timeout)) as response:
            response.raise_for_status()
            validators = {k.lower(): response.headers[k] for k in ("ETag", "Last-Modified", "Content-Length")
                          if k in response.headers}
            fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".part-")
            written = 0
            with os.fdopen(fd, "wb") as out:
                for chunk in response.iter_content(chunk_size=1 << 20):
                    written += len(chunk)
                    now = time.monotonic()
                    if now - last_report >= PROGRESS_EVERY_SECONDS:
                        last_report = now
                        share = f" ({written / entry.bytes:.0%})" if entry.bytes else ""
                        logger.info("%s/%s: %s of %s bytes%s, %.1f MB/s", dataset_id, entry.name,
                                    f"{written:,}", f"{entry.bytes:,}", share,
                                    written / 1e6 / max(now - started, 1e-6))
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
    elapsed = time.monotonic() - started
    logger.info("%s/%s: downloaded %s bytes in %.1f s; verifying sha256", dataset_id, entry.name,
                f"{written:,}", elapsed)
    try:
        _verify(dataset_id, entry, tmp, entry.url)
    except FetchError:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)
    with contextlib.suppress(OSError):
        validators_file(target).write_text(json.dumps(validators, sort_keys=True), encoding="utf-8")


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
    if not cached.is_file() or _REFRESH.get():
        _download(dataset_id, entry, cached)  # verified before it replaces the cached copy
        return cached
    try:
        _verify(dataset_id, entry, cached, f"cache {cached}")
    except FetchError:
        # The registry names another version than the cached copy (an updated entry, or a
        # damaged copy): download the registered one, which must match.
        logger.info("%s/%s: the cached copy is not the version the registry names; downloading it",
                    dataset_id, file)
        _download(dataset_id, entry, cached)
    return cached
