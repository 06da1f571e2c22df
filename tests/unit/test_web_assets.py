"""The data docs' local CSS, scripts and fonts: a package tarball is used only when it matches its
pinned sha512, a file it lacks or a download that fails is a clear error, and a page that loads an
unknown CDN file is refused rather than left half offline. No network: tarballs are made here."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import urllib.error
from pathlib import Path

import pytest

from quality import web_assets
from quality.web_assets import CDN, PACKAGES, Package, WebAssetsError


def tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


DATA = tarball({"dist/a.min.css": b".a{}", "fonts/x.woff2": b"w", "fonts/y.ttf": b"t",
                "LICENSE": b"MIT", "src/a.scss": b"not wanted"})
PACKAGE = Package("@demo/widget", "1.2.3", integrity(DATA), "MIT", ("dist/a.min.css", "fonts/"))


def test_every_cdn_address_maps_to_a_file_of_a_pinned_package():
    folders = {p.folder: p for p in PACKAGES}
    assert len(folders) == len(PACKAGES)
    for url, (folder, file) in CDN.items():
        assert folder in folders, url
        assert any(file == f or (f.endswith("/") and file.startswith(f)) for f in folders[folder].files)
    for package in PACKAGES:
        assert package.integrity.startswith("sha512-") and package.licence
        assert package.tarball.startswith("https://registry.npmjs.org/")


def test_a_checked_tarball_keeps_the_listed_files_and_the_licence(tmp_path):
    folder = web_assets.unpack(PACKAGE, DATA, tmp_path)
    assert folder == tmp_path / "widget@1.2.3"
    kept = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert kept == [".integrity", "LICENSE", "dist/a.min.css", "fonts/x.woff2", "fonts/y.ttf"]
    assert web_assets.cached(PACKAGE, tmp_path)
    (folder / "fonts" / "x.woff2").unlink()
    assert web_assets.cached(PACKAGE, tmp_path)  # a folder entry: whatever it held
    (folder / "dist" / "a.min.css").unlink()
    assert not web_assets.cached(PACKAGE, tmp_path)


def test_a_tarball_that_does_not_match_its_pinned_hash_is_refused(tmp_path):
    other = tarball({"dist/a.min.css": b".a{color:red}", "fonts/x.woff2": b"w"})
    with pytest.raises(WebAssetsError, match="does not match the pinned sha512"):
        web_assets.unpack(PACKAGE, other, tmp_path)
    assert not (tmp_path / PACKAGE.folder).exists()


def test_a_tarball_without_a_listed_file_is_an_error(tmp_path):
    data = tarball({"fonts/x.woff2": b"w"})
    package = Package("widget", "1.0.0", integrity(data), "MIT", ("dist/a.min.css", "fonts/"))
    with pytest.raises(WebAssetsError, match="has no dist/a.min.css"):
        web_assets.unpack(package, data, tmp_path)


def test_a_failed_download_says_how_to_get_the_assets(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(web_assets.urllib.request, "urlopen", offline)
    monkeypatch.setattr(web_assets, "PACKAGES", (PACKAGE,))
    with pytest.raises(WebAssetsError, match=r"widget@1\.2\.3.*python -m quality\.web_assets"):
        web_assets.install_static(tmp_path / "docs", cache=tmp_path / "cache")


def test_pages_point_at_the_static_folder_and_an_unknown_cdn_file_is_refused(tmp_path: Path):
    docs, static = tmp_path, tmp_path / "_static"
    site = docs / "marts.x"
    page = site / "validations" / "run"
    html = ('<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>'
            '<script src="https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js" '
            'integrity="sha384-x" crossorigin="anonymous"></script>'
            '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1">'
            '<a href="https://greatexpectations.io">GX</a>')
    local = web_assets.localise_text(html, page, static, site)
    assert local == ('<link rel="stylesheet" href="../../../_static/bootstrap@4.3.1/dist/css/bootstrap.min.css"/>'
                     '<script src="../../../_static/popper.js@1.12.9/dist/umd/popper.min.js"></script>'
                     '<img src="../../static/images/logo-long.png">'
                     '<a href="https://greatexpectations.io">GX</a>')
    with pytest.raises(WebAssetsError, match="unpkg.com/leaflet.*has no local copy"):
        web_assets.localise_text('<script src="https://unpkg.com/leaflet@1.9.4/dist/leaflet.js"></script>',
                                 page, static, site)
    with pytest.raises(WebAssetsError, match="still loads from another host"):
        web_assets.localise_text('<style>b{background:url("https://example.org/x.png")}</style>',
                                 page, static, site)
