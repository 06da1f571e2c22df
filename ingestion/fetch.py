"""Get a registered source file: from ATLAS_MIRROR when set, else from its official URL via a cache.

Whatever the route, the file's sha256 must match the registry before anyone reads it, so a
republished or corrupted file stops the pipeline with a clear message instead of flowing through.

Downloads go through pooch: the registry's sha256 is pooch's known hash, so pooch keeps a verified
copy in the cache, writes each attempt to a temporary file beside it and moves it into place only
when the hash matches, and tries again (ATLAS_DOWNLOAD_RETRIES times) after a dropped connection, a
timeout, a busy server or a damaged transfer. The downloader below is the only code that makes a
request: it checks the URL against the allow-list first, streams with a size cap, and logs
progress and the server's HTTP validators.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pooch
import requests

from ingestion.errors import FetchError
from ingestion.registry import SourceFile, allowed_hosts, get_source
from ingestion.settings import cache_dir, download_retries, download_timeout_seconds, mirror_dir
from ingestion.settings import value as settings_value

_MIRROR_HINT = (
    "Set ATLAS_MIRROR to a folder laid out like the data mirror "
    "(<folder>/<dataset_id>/<file>), e.g. ATLAS_MIRROR=../shared/mirror"
)
# Largest file a download may write: a little over the largest registered file, so that a hostile
# or broken server cannot fill the disk.
MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024
# Progress of a download is logged at most this often (seconds), and at the end.
PROGRESS_EVERY_SECONDS = 5.0
# Answers that say "not now" rather than "no": worth another attempt. Any other HTTP error (a 404,
# a 403) fails at once, since asking again would get the same answer.
TRANSIENT_HTTP_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

logger = logging.getLogger("atlas.fetch")
# Its INFO records (download progress) reach the handlers that forward or keep them for the run log
# (orchestration.logs, ingestion.read_ahead) whichever thread logs them; with no handler of its
# own they go to the root logger, which shows them only if the application asks for INFO.
logger.setLevel(logging.INFO)
# Pooch announces downloads and retries on a logger of its own that prints to stderr; the
# downloader reports the same events on atlas.fetch, which the Dagster run log receives.
pooch.get_logger().setLevel(logging.WARNING)
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


def _mismatch(dataset_id: str, entry: SourceFile, origin: str, actual: str, size: int,
              after: str = "") -> FetchError:
    return FetchError(
        f"checksum mismatch for the file from {origin}{after}: expected sha256 {entry.sha256}, "
        f"got {actual} ({size} bytes, registry says {entry.bytes})",
        dataset_id=dataset_id,
        file=entry.name,
        hint=(
            "The file changed or is corrupt. If the publisher republished it, review the new "
            "file and update sha256 and bytes in data_contracts/sources/"
            f"{dataset_id}.yml; otherwise restore the original"
        ),
    )


def _verify(dataset_id: str, entry: SourceFile, path: Path, origin: str) -> None:
    actual = sha256_of(path)
    if actual != entry.sha256:
        raise _mismatch(dataset_id, entry, origin, actual, path.stat().st_size)


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


class _Downloader:
    """A pooch downloader for one registered file, called once per attempt with the temporary file
    to write. It raises what pooch retries (requests' errors) for transient failures and a
    FetchError, which pooch passes straight through, for what another attempt cannot fix."""

    def __init__(self, dataset_id: str, entry: SourceFile, *, attempts: int, replacing: bool) -> None:
        self.dataset_id = dataset_id
        self.entry = entry
        self.attempts = attempts
        # A cached copy exists: pooch calls the downloader only if it is not the registered version.
        self.replacing = replacing
        self.timeout = download_timeout_seconds()
        self.made = 0
        self.validators: dict[str, str] | None = None
        self.received: tuple[int, str] | None = None  # bytes and sha256 of the last whole transfer

    def _label(self) -> str:
        return f"{self.dataset_id}/{self.entry.name}"

    def __call__(self, _url: str, output_file: str, _pooch: object) -> None:
        check_url(self.dataset_id, self.entry)  # before any request; a mirror read uses no URL
        self.made += 1
        entry = self.entry
        url = entry.url  # the URL just checked (pooch passes the same one, from `urls`)
        if self.made == 1 and self.replacing:
            logger.info("%s: the cached copy is not the version the registry names; downloading it",
                        self._label())
        attempt = f" (attempt {self.made} of {self.attempts})" if self.made > 1 else ""
        logger.info("%s: downloading %s (%s bytes expected)%s", self._label(), url,
                    f"{entry.bytes:,}", attempt)
        started = last_report = time.monotonic()
        digest = hashlib.sha256()
        written = 0
        try:
            with requests.get(url, stream=True, timeout=(self.timeout, self.timeout)) as response:
                response.raise_for_status()
                validators = {k.lower(): response.headers[k]
                              for k in ("ETag", "Last-Modified", "Content-Length")
                              if k in response.headers}
                with open(output_file, "wb") as out:
                    for chunk in response.iter_content(chunk_size=1 << 20):
                        written += len(chunk)
                        now = time.monotonic()
                        if now - last_report >= PROGRESS_EVERY_SECONDS:
                            last_report = now
                            share = f" ({written / entry.bytes:.0%})" if entry.bytes else ""
                            logger.info("%s: %s of %s bytes%s, %.1f MB/s", self._label(),
                                        f"{written:,}", f"{entry.bytes:,}", share,
                                        written / 1e6 / max(now - started, 1e-6))
                        if written > max(MAX_DOWNLOAD_BYTES, entry.bytes * 2):
                            raise FetchError(
                                f"download exceeded the size cap ({written} bytes so far)",
                                dataset_id=self.dataset_id,
                                file=entry.name,
                            )
                        digest.update(chunk)
                        out.write(chunk)
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status not in TRANSIENT_HTTP_STATUSES:
                raise FetchError(
                    f"could not download {url}: {exc.__class__.__name__}: {exc} (not retried: "
                    "the server refused the request)",
                    dataset_id=self.dataset_id,
                    file=entry.name,
                    hint=_MIRROR_HINT,
                ) from exc
            self._failed(exc)
            raise
        except requests.RequestException as exc:
            self._failed(exc)
            raise
        self.validators = validators
        self.received = (written, digest.hexdigest())
        logger.info("%s: downloaded %s bytes in %.1f s; verifying sha256", self._label(),
                    f"{written:,}", time.monotonic() - started)
        if digest.hexdigest() != entry.sha256:
            logger.warning("%s: the download's sha256 %s is not the registry's %s (%s bytes)%s",
                           self._label(), digest.hexdigest(), entry.sha256, f"{written:,}",
                           self._next())

    def _failed(self, exc: Exception) -> None:
        logger.warning("%s: download attempt %d of %d failed: %s: %s%s", self._label(), self.made,
                       self.attempts, exc.__class__.__name__, exc, self._next())

    def _next(self) -> str:
        return "; trying again" if self.made < self.attempts else ""


def _download(dataset_id: str, entry: SourceFile, target: Path, *, again: bool) -> None:
    """Make `target` a verified copy of `entry`. With `again`, download even if the cached copy is
    the registered one (and replace it only once the new download has been verified)."""
    retries = download_retries()
    downloader = _Downloader(dataset_id, entry, attempts=retries + 1,
                             replacing=target.is_file() and not again)
    staging: Path | None = None
    folder = target.parent
    if again:
        # pooch would keep a cached copy whose hash matches: fetch into an empty folder beside it.
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=".refresh-"))
    store = pooch.create(
        path=staging or folder,
        base_url="",  # unused: each file's own URL is in `urls`
        registry={entry.name: f"sha256:{entry.sha256}"},
        urls={entry.name: entry.url},
        retry_if_failed=retries,
    )
    try:
        fetched = Path(store.fetch(entry.name, downloader=downloader))
        if staging is not None:
            os.replace(fetched, target)
    except ValueError as exc:
        if downloader.received is None:  # not pooch's hash check
            raise
        tries = f" after {downloader.made} attempts" if downloader.made > 1 else ""
        raise _mismatch(dataset_id, entry, entry.url, downloader.received[1],
                        downloader.received[0], tries) from exc
    except requests.RequestException as exc:
        tries = f" (gave up after {downloader.made} attempts)" if downloader.made > 1 else ""
        raise FetchError(
            f"could not download {entry.url}: {exc.__class__.__name__}: {exc}{tries}",
            dataset_id=dataset_id,
            file=entry.name,
            hint=_MIRROR_HINT,
        ) from exc
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    if downloader.validators is not None:
        with contextlib.suppress(OSError):
            validators_file(target).write_text(json.dumps(downloader.validators, sort_keys=True),
                                               encoding="utf-8")


def fetch(dataset_id: str, file: str) -> Path:
    """Return a local path to a verified copy of one registered source file.

    With ATLAS_MIRROR set the file is read in place from the mirror (never copied); otherwise it is
    downloaded once into the cache and re-verified on every later call (a cached copy that is not
    the registered version is downloaded again).
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
    _download(dataset_id, entry, cached, again=_REFRESH.get())
    return cached


def source_access_problems(connect_timeout: float = 3.0) -> list[str]:
    """Checked before a run: can the registered source files be read at all? One message for the
    whole registry (instead of one error per dataset after the run has started):

    - with ATLAS_MIRROR set, a mirror that holds none of the registered files (a wrong folder);
    - without it, files not yet in the cache whose hosts cannot be reached (no network).
    A mirror or cache that lacks only some files is left to the run, which names each one."""
    import socket
    from concurrent.futures import ThreadPoolExecutor

    from ingestion.registry import load_registry

    entries = [(source.dataset_id, entry) for source in load_registry().values() for entry in source.files]
    mirror = mirror_dir()
    setting = settings_value("ATLAS_MIRROR")
    if mirror is not None:
        if entries and not any((mirror / dataset_id / entry.name).is_file() for dataset_id, entry in entries):
            return [f"ATLAS_MIRROR={setting} (resolved to {mirror}) holds none of the {len(entries)} registered "
                    "source files: it must name a folder laid out like the data mirror "
                    "(<folder>/<dataset_id>/<file>); relative paths are resolved from the current directory"]
        return []
    missing = [(d, e) for d, e in entries if not (cache_dir() / d / e.name).is_file()]
    hosts = sorted({e.host for _, e in missing if e.host})

    def reachable(host: str) -> bool:
        try:
            with socket.create_connection((host, 443), timeout=connect_timeout):
                return True
        except OSError:
            return False

    with ThreadPoolExecutor(max_workers=min(8, len(hosts) or 1)) as pool:
        unreachable = [h for h, ok in zip(hosts, pool.map(reachable, hosts), strict=True) if not ok]
    if unreachable:
        files = sum(1 for _, e in missing if e.host in unreachable)
        return [f"ATLAS_MIRROR is not set, so source files not in the cache ({cache_dir()}) must be "
                f"downloaded, but {files} of them are on hosts that cannot be reached "
                f"({', '.join(unreachable[:4])}{' ...' if len(unreachable) > 4 else ''}; no network?). "
                "Set ATLAS_MIRROR to a folder laid out like the data mirror (<folder>/<dataset_id>/<file>), "
                "e.g. ATLAS_MIRROR=/path/to/mirror make run"]
    return []
