"""Local copies of the CSS, JavaScript and fonts that Great Expectations data docs load from CDNs.

GX writes pages that link Bootstrap, bootstrap-table, jQuery, Popper, Vega, Font Awesome,
bootstrap-datepicker and bootstrap-dark from unpkg, cdnjs, jsdelivr, maxcdn, stackpath and
code.jquery.com; offline they render unstyled. Each of those files is taken here from the npm
package of the exact version the page names (the `@5`/`@6` ranges of the Vega scripts are pinned
to the newest release in the range when this table was written), downloaded once from the npm
registry, checked against the registry's sha512 integrity hash and kept in
`.cache/web-assets/<package>@<version>/` with the package's licence. `make` fetches them when it
installs the virtual environment (`python -m quality.web_assets`); a data docs build fetches any
that are still missing and fails with a clear message when it cannot.

After GX writes a site, `localise_site` points every such reference at `<data docs>/_static/`
(copied there by `install_static`, with a NOTICE), so the data docs folder works offline and can be
zipped and opened anywhere. A page that references an external stylesheet or script not in the
table below is an error (a GX upgrade that adds one must add it here).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ingestion.settings import PROJECT_ROOT

CACHE_DIR = PROJECT_ROOT / ".cache" / "web-assets"
STATIC = "_static"  # the folder inside the data docs folder
REGISTRY = "https://registry.npmjs.org"
TIMEOUT = 60


class WebAssetsError(RuntimeError):
    """A data docs asset is missing, damaged or cannot be fetched, or a page needs an unknown one."""


@dataclass(frozen=True)
class Package:
    """One npm package version and the files of it the data docs use (a path ending in / is a
    whole folder)."""

    name: str
    version: str
    integrity: str  # the registry's dist.integrity (sha512, base64)
    licence: str
    files: tuple[str, ...]

    @property
    def folder(self) -> str:
        return f"{self.name.rsplit('/', 1)[-1]}@{self.version}"

    @property
    def tarball(self) -> str:
        return f"{REGISTRY}/{self.name}/-/{self.name.rsplit('/', 1)[-1]}-{self.version}.tgz"


PACKAGES: tuple[Package, ...] = (
    Package("bootstrap", "4.3.1",
            "sha512-rXqOmH1VilAt2DyPzluTi2blhk17bO7ef+zLLPlWvG494pDxcM234pJ8wTc/6R40UWizAIIMgxjvxZg5kmsbag==",
            "MIT", ("dist/css/bootstrap.min.css", "dist/js/bootstrap.min.js")),
    Package("bootstrap-table", "1.19.1",
            "sha512-WvV+l1AI/C+zThaKmfHmi/IuayVNB0qdFyEhFx1jyZhO0oLtNJNANkCR3rvJf6Dkh72dsLElxpE/bzK9seEQLA==",
            "MIT", ("dist/bootstrap-table.min.css", "dist/bootstrap-table.min.js",
                    "dist/extensions/filter-control/bootstrap-table-filter-control.min.js")),
    Package("bootstrap-table", "1.19.0",
            "sha512-L+USHm3X9FKocx/6yngGu12yF6r6s1Ntuc+hoIK2a2QQJjHw5kcySLiE2HY/9sEaSGAOfPbfQOtBH3uKkcpqEA==",
            "MIT", ("dist/extensions/filter-control/bootstrap-table-filter-control.css",
                    "dist/extensions/filter-control/bootstrap-table-filter-control.min.css")),
    Package("jquery", "3.7.1",
            "sha512-m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg==",
            "MIT", ("dist/jquery.min.js",)),
    Package("popper.js", "1.12.9",
            "sha512-s0EEi9xiSCdqz9lV4IiVH5yIZnDX/U1t0tCjB+0jXx9jW8lrR7kOpVupiUg175ogqVoudpDXHF1p6dKATCHMeg==",
            "MIT", ("dist/umd/popper.min.js",)),
    Package("@fortawesome/fontawesome-free", "6.6.0",
            "sha512-60G28ke/sXdtS9KZCpZSHHkCbdsOGEhIUGlwq6yhY74UpTiToIh8np7A8yphhM4BWsvNFtIvLpi4co+h9Mr9Ow==",
            "CSS: MIT; fonts: SIL OFL 1.1; icons: CC BY 4.0", ("css/all.min.css", "webfonts/")),
    Package("bootstrap-datepicker", "1.9.0",
            "sha512-9rYYbaVOheGYxjOr/+bJCmRPihfy+LkLSg4fIFMT9Od8WwWB/MB50w0JO1eBgKUMbb7PFHQD5uAfI3ArAxZRXA==",
            "Apache-2.0", ("dist/css/bootstrap-datepicker.min.css", "dist/js/bootstrap-datepicker.min.js")),
    Package("@forevolve/bootstrap-dark", "1.1.0",
            "sha512-A3ucpEpxPoTVO490lZZCfjPXxv832l7mm1IxX3bXyxvgwnPGXDLyh7dWrphXKO8YBAu3EswbBEu3VSW8NRMW3A==",
            "MIT", ("dist/css/bootstrap-prefers-dark.css",)),
    Package("vega", "5.33.1",
            "sha512-1fArfVDUqVbb5z8n+/nVQb+VNBzx8svY6CrsyTK4Ujm4yrd9I1auoKxBAPXLCavY1LcrbHUskQbGUP8gXOzyQw==",
            "BSD-3-Clause", ("build/vega.min.js",)),
    Package("vega-lite", "5.23.0",
            "sha512-l4J6+AWE3DIjvovEoHl2LdtCUkfm4zs8Xxx7INwZEAv+XVb6kR6vIN1gt3t2gN2gs/y4DYTs/RPoTeYAuEg6mA==",
            "BSD-3-Clause", ("build/vega-lite.min.js",)),
    Package("vega-embed", "6.29.0",
            "sha512-PmlshTLtLFLgWtF/b23T1OwX53AugJ9RZ3qPE2c01VFAbgt3/GSNI/etzA/GzdrkceXFma+FDHNXUppKuM0U6Q==",
            "BSD-3-Clause", ("build/vega-embed.min.js",)),
)
_BY_FOLDER = {p.folder: p for p in PACKAGES}

# Every CDN address GX pages use -> (package folder, file in the package).
CDN: dict[str, tuple[str, str]] = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css":
        ("bootstrap@4.3.1", "dist/css/bootstrap.min.css"),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js":
        ("bootstrap@4.3.1", "dist/js/bootstrap.min.js"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css":
        ("bootstrap-table@1.19.1", "dist/bootstrap-table.min.css"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js":
        ("bootstrap-table@1.19.1", "dist/bootstrap-table.min.js"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        ("bootstrap-table@1.19.1", "dist/extensions/filter-control/bootstrap-table-filter-control.min.js"),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        ("bootstrap-table@1.19.0", "dist/extensions/filter-control/bootstrap-table-filter-control.css"),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        ("bootstrap-table@1.19.0", "dist/extensions/filter-control/bootstrap-table-filter-control.min.css"),
    "https://code.jquery.com/jquery-3.7.1.min.js": ("jquery@3.7.1", "dist/jquery.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js":
        ("popper.js@1.12.9", "dist/umd/popper.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css":
        ("fontawesome-free@6.6.0", "css/all.min.css"),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        ("bootstrap-datepicker@1.9.0", "dist/css/bootstrap-datepicker.min.css"),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        ("bootstrap-datepicker@1.9.0", "dist/js/bootstrap-datepicker.min.js"),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        ("bootstrap-dark@1.1.0", "dist/css/bootstrap-prefers-dark.css"),
    "https://cdn.jsdelivr.net/npm/vega@5": ("vega@5.33.1", "build/vega.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-lite@5": ("vega-lite@5.23.0", "build/vega-lite.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-embed@6": ("vega-embed@6.29.0", "build/vega-embed.min.js"),
}

# GX's own logos, served from an S3 bucket: the site's static/images/ has a copy of the light one;
# the dark-theme logo (full_logo_dark.png) has none, so dark mode shows the light logo.
_GX_IMAGES = re.compile(
    r"https://great-expectations-web-assets\.s3\.us-east-2\.amazonaws\.com/"
    r"(?:logo-long\.png|full_logo_dark\.png)(?:\?[^\"')\s]*)?"
)
_TAG = re.compile(r"<(?:link|script)\b[^>]*>", re.IGNORECASE)
_URL_ATTR = re.compile(r"""\b(href|src)\s*=\s*(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_SRI_ATTR = re.compile(r"""\s+(?:integrity|crossorigin)(?:\s*=\s*(["']).*?\1)?""", re.IGNORECASE)
# what may not remain in a page or a style sheet of a localised site: a tag or CSS rule that
# would make the browser fetch from another host (plain <a href> links are only navigation)
_EXTERNAL_LOAD = re.compile(
    r"""<(?:link|script|img|iframe|source)\b[^>]*\b(?:href|src)\s*=\s*["']?(?:https?:)?//[^>]*>"""
    r"""|url\(\s*["']?(?:https?:)?//[^)]*\)|@import\s+["'](?:https?:)?//[^;]*""",
    re.IGNORECASE,
)


# --- the cache ---------------------------------------------------------------------------------


def _marker(package: Package, cache: Path) -> Path:
    return cache / package.folder / ".integrity"


def _files_of(package: Package, root: Path) -> list[Path]:
    """The files of the package in a folder laid out like the package (folders expanded)."""
    found: list[Path] = []
    for name in package.files:
        path = root / name
        if name.endswith("/"):
            found.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
        else:
            found.append(path)
    return found


def cached(package: Package, cache: Path = CACHE_DIR) -> bool:
    """Whether the package's files are complete in the cache (from a tarball of the pinned hash)."""
    marker = _marker(package, cache)
    if not marker.is_file() or marker.read_text(encoding="utf-8").strip() != package.integrity:
        return False
    return all(p.is_file() for p in _files_of(package, cache / package.folder))


def _check_integrity(package: Package, data: bytes) -> None:
    algorithm, _, expected = package.integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode("ascii")
    if actual != expected:
        raise WebAssetsError(
            f"{package.tarball}: the download does not match the pinned {algorithm} integrity hash "
            f"of {package.name}@{package.version} (got {algorithm}-{actual}); not using it"
        )


def _wanted(package: Package, member: str) -> bool:
    return any(member == f or (f.endswith("/") and member.startswith(f)) for f in package.files)


def _licence_file(member: str) -> bool:
    return "/" not in member and re.match(r"(?i)licen[cs]e(\.(md|txt))?$", member) is not None


def unpack(package: Package, data: bytes, cache: Path = CACHE_DIR) -> Path:
    """Check a package tarball against its pinned hash and keep its data docs files and licence
    in cache/<package>@<version>/."""
    _check_integrity(package, data)
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{package.folder}-", dir=cache))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for member in archive.getmembers():
                name = member.name.split("/", 1)[1] if "/" in member.name else ""  # drop package/
                if not member.isfile() or ".." in name.split("/"):
                    continue
                if _wanted(package, name) or _licence_file(name):
                    target = work / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(archive.extractfile(member).read())
        missing = [str(p.relative_to(work)) for p in _files_of(package, work) if not p.is_file()]
        if missing:
            raise WebAssetsError(f"{package.name}@{package.version} has no {', '.join(missing)}")
        (work / ".integrity").write_text(package.integrity + "\n", encoding="utf-8")
        final = cache / package.folder
        shutil.rmtree(final, ignore_errors=True)
        work.rename(final)
        return final
    finally:
        shutil.rmtree(work, ignore_errors=True)


def fetch(package: Package, cache: Path = CACHE_DIR) -> Path:
    """Download the package's tarball from the npm registry into the cache (checked)."""
    try:
        with urllib.request.urlopen(package.tarball, timeout=TIMEOUT) as response:  # noqa: S310 (a fixed https URL)
            data = response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise WebAssetsError(
            f"the data docs need {package.name}@{package.version} and could not download it from "
            f"{package.tarball} ({exc}). Run `python -m quality.web_assets` where the npm registry "
            f"is reachable (make does when it installs), or copy a {CACHE_DIR.name}/ folder made "
            f"there into .cache/"
        ) from exc
    return unpack(package, data, cache)


def ensure_cached(cache: Path = CACHE_DIR) -> list[Package]:
    """Fetch every package not complete in the cache; returns those it fetched."""
    fetched = []
    for package in PACKAGES:
        if not cached(package, cache):
            fetch(package, cache)
            fetched.append(package)
    return fetched


# --- the data docs folder ----------------------------------------------------------------------


def _signature() -> str:
    return hashlib.sha256(
        json.dumps([[p.folder, p.integrity, p.files] for p in PACKAGES]).encode()
    ).hexdigest()


def notice() -> str:
    lines = [
        "Third-party files of the Great Expectations data docs, copied here so the pages work offline.",
        "Each folder <package>@<version>/ holds files of that npm package, from the registry tarball",
        "checked against its sha512 integrity hash, with the package's own licence file.",
        "",
    ]
    for p in PACKAGES:
        lines += [f"{p.folder}  (npm {p.name}@{p.version}, licence {p.licence})",
                  f"  source: {p.tarball}", f"  integrity: {p.integrity}",
                  f"  files: {', '.join(p.files)}", ""]
    return "\n".join(lines)


def install_static(docs_dir: Path, cache: Path = CACHE_DIR) -> Path:
    """docs_dir/_static/: the assets of every package (copied once; again when the table changes)."""
    static = docs_dir / STATIC
    signature = _signature()
    stamp = static / ".signature"
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == signature:
        return static
    ensure_cached(cache)
    shutil.rmtree(static, ignore_errors=True)
    for package in PACKAGES:
        source = cache / package.folder
        for path in source.rglob("*"):
            if path.is_file() and path.name != ".integrity":
                target = static / package.folder / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
    (static / "NOTICE.txt").write_text(notice(), encoding="utf-8")
    stamp.write_text(signature + "\n", encoding="utf-8")
    return static


def _relative(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target, start)).as_posix()


def localise_text(text: str, where: Path, static: Path, site: Path, name: str = "page") -> str:
    """The HTML or CSS `text` of a file in folder `where` with its CDN and GX logo references
    pointing at local copies; raises WebAssetsError if any external load remains."""

    def tag(match: re.Match[str]) -> str:
        original = match.group(0)

        def attr(m: re.Match[str]) -> str:
            url = m.group(3)
            if not re.match(r"(?i)(https?:)?//", url):
                # GX links the favicon of a validation page one folder too shallow: re-anchor a
                # reference to the site's static/ folder that does not resolve
                if "static/" in url and not (where / url).exists():
                    local = _relative(site / "static" / url.split("static/", 1)[1], where)
                    return f"{m.group(1)}={m.group(2)}{local}{m.group(2)}"
                return m.group(0)
            if url not in CDN:
                raise WebAssetsError(
                    f"{name} loads {url}, which has no local copy: add its npm package to "
                    "PACKAGES and CDN in quality/web_assets.py"
                )
            folder, file = CDN[url]
            local = _relative(static / folder / file, where)
            return f"{m.group(1)}={m.group(2)}{local}{m.group(2)}"

        rewritten = _URL_ATTR.sub(attr, original)
        if rewritten != original:  # the local file is checked at fetch time: no SRI, no CORS mode
            rewritten = _SRI_ATTR.sub("", rewritten)
        return rewritten

    text = _TAG.sub(tag, text)
    logo = _relative(site / "static" / "images" / "logo-long.png", where)
    text = _GX_IMAGES.sub(logo, text)
    leftover = _EXTERNAL_LOAD.search(text)
    if leftover:
        raise WebAssetsError(f"{name} still loads from another host: {leftover.group(0)[:200]}")
    return text


def localise_site(site: Path, docs_dir: Path, cache: Path = CACHE_DIR) -> int:
    """Rewrite every HTML page and style sheet of a GX site under docs_dir to the local assets of
    docs_dir/_static/ (installed if needed); returns how many files changed."""
    static = install_static(docs_dir, cache)
    changed = 0
    for path in sorted([*site.rglob("*.html"), *site.rglob("*.css")]):
        text = path.read_text(encoding="utf-8")
        local = localise_text(text, path.parent, static, site, str(path.relative_to(docs_dir)))
        if local != text:  # a new file in its place: a hard-linked file's other links keep theirs
            fresh = path.with_name(f".{path.name}.tmp")
            fresh.write_text(local, encoding="utf-8")
            os.replace(fresh, path)
            changed += 1
    return changed


def main() -> int:
    try:
        fetched = ensure_cached()
    except WebAssetsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    total = sum(p.stat().st_size for p in CACHE_DIR.rglob("*") if p.is_file())
    print(f"data docs assets: {len(PACKAGES)} npm packages in {CACHE_DIR.relative_to(PROJECT_ROOT)}/ "
          f"({len(fetched)} fetched now, {total / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
