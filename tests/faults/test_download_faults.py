"""A registry entry an operator or an attacker gets wrong: an http URL fails only its own dataset,
with a message naming the entry, and a host off the allow-list (data_contracts/allowed_hosts.yml,
kept apart from the registry) is refused before any request is made. A download that fails for a
passing reason is tried again; one that stays corrupt is refused, naming the registry entry."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ingestion import fetch as fetch_module
from ingestion.errors import FetchError
from ingestion.registry import Source, SourceFile, allowed_hosts


def _fake_source(entry: SourceFile) -> Source:
    return Source("demo__data", "Pub", "Title", "OGL", "", "row", "annual", "", (entry,))


def test_a_plain_http_entry_fails_its_own_dataset_only(tmp_path, monkeypatch):
    (tmp_path / "demo__data.yml").write_text(
        "dataset_id: demo__data\npublisher: P\ntitle: T\nlicence: L\ngrain: g\ncadence: c\n"
        "files:\n  - {name: d.csv, url: 'http://raw.githubusercontent.com/o/r/c/d.csv', bytes: 1, sha256: abc}\n",
        encoding="utf-8",
    )
    (tmp_path / "other__data.yml").write_text(
        "dataset_id: other__data\npublisher: P\ntitle: T\nlicence: L\ngrain: g\ncadence: c\n"
        "files:\n  - {name: e.csv, url: 'https://raw.githubusercontent.com/o/r/c/e.csv', bytes: 1, sha256: abc}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ATLAS_SOURCES_DIR", str(tmp_path))
    monkeypatch.delenv("ATLAS_MIRROR", raising=False)  # a download, not a mirror read
    monkeypatch.setenv("ATLAS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(fetch_module.requests, "get", lambda *a, **k: pytest.fail("no request may be made"))
    from ingestion.registry import load_registry

    assert set(load_registry()) == {"demo__data", "other__data"}  # the registry still loads
    with pytest.raises(FetchError, match="only https downloads are allowed") as caught:
        fetch_module.fetch("demo__data", "d.csv")
    assert (caught.value.dataset_id, caught.value.file) == ("demo__data", "d.csv")
    assert "data_contracts/sources/demo__data.yml" in str(caught.value)


def test_a_host_off_the_allow_list_is_refused_even_when_the_registry_names_it(tmp_path, monkeypatch):
    entry = SourceFile("d.csv", "https://evil.example.com/d.csv", "0" * 64, 8)
    monkeypatch.delenv("ATLAS_MIRROR", raising=False)
    monkeypatch.setenv("ATLAS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(fetch_module, "get_source", lambda _id: _fake_source(entry))
    monkeypatch.setattr(fetch_module.requests, "get", lambda *a, **k: pytest.fail("no request may be made"))
    with pytest.raises(FetchError, match="'evil.example.com' is not on the allow-list") as caught:
        fetch_module.fetch("demo__data", "d.csv")
    assert caught.value.dataset_id == "demo__data"
    assert "evil.example.com" not in allowed_hosts()


# A download is retried when the failure may pass (a busy server, a dropped connection, a damaged
# transfer) and refused with the registry's message when the file itself is wrong. The server is a
# real local HTTPS server (its certificate made for the test), so the https and allow-list checks
# stay on and requests goes over the network stack as in production.

PAYLOAD = b"service_id,volume\n1,10\n2,20\n"


def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False),
                       critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "server.pem", folder / "server.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class _Server:
    url: str
    plan: list[str]  # what each request gets, in order; "ok" once the plan is used up
    served: list[str] = field(default_factory=list)


@pytest.fixture
def https_server(tmp_path, monkeypatch) -> Iterator[_Server]:
    cert, key = _self_signed_certificate(tmp_path)
    state = _Server(url="", plan=[])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            step = state.plan.pop(0) if state.plan else "ok"
            state.served.append(step)
            if step in ("404", "503"):
                self.send_error(int(step))
                return
            body = PAYLOAD.replace(b"20", b"21") if step == "corrupt" else PAYLOAD
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", '"v1"')
            self.end_headers()
            # "truncated": the connection drops after a few bytes of the announced length
            self.wfile.write(body[:10] if step == "truncated" else body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"https://127.0.0.1:{server.server_address[1]}/d.csv"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # requests trusts the test's certificate
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.delenv("ATLAS_MIRROR", raising=False)
    monkeypatch.setenv("ATLAS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ATLAS_DOWNLOAD_TIMEOUT", "5")
    entry = SourceFile("d.csv", state.url, hashlib.sha256(PAYLOAD).hexdigest(), len(PAYLOAD))
    monkeypatch.setattr(fetch_module, "get_source", lambda _id: _fake_source(entry))
    monkeypatch.setattr(fetch_module, "allowed_hosts", lambda: frozenset({"127.0.0.1"}))
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _cache_files(tmp_path: Path) -> list[str]:
    folder = tmp_path / "cache" / "demo__data"
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


@pytest.mark.parametrize("failure", ["503", "truncated"])
def test_a_transient_failure_is_retried(https_server, tmp_path, failure, caplog):
    https_server.plan[:] = [failure]
    with caplog.at_level(logging.INFO, logger="atlas.fetch"):
        path = fetch_module.fetch("demo__data", "d.csv")
    assert path.read_bytes() == PAYLOAD
    assert https_server.served == [failure, "ok"]
    messages = [r.getMessage() for r in caplog.records if r.name == "atlas.fetch"]
    assert any("download attempt 1 of 3 failed" in m and "trying again" in m for m in messages), messages
    assert any("(attempt 2 of 3)" in m for m in messages), messages
    assert json.loads(fetch_module.validators_file(path).read_text())["etag"] == '"v1"'
    # a second call verifies the cached copy and makes no request
    assert fetch_module.fetch("demo__data", "d.csv") == path
    assert len(https_server.served) == 2


def test_a_corrupt_download_is_refused_after_its_retries_and_nothing_is_cached(
        https_server, tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_DOWNLOAD_RETRIES", "1")
    https_server.plan[:] = ["corrupt", "corrupt"]
    with pytest.raises(FetchError, match="checksum mismatch") as caught:
        fetch_module.fetch("demo__data", "d.csv")
    assert https_server.served == ["corrupt", "corrupt"]
    message = str(caught.value)
    assert (caught.value.dataset_id, caught.value.file) == ("demo__data", "d.csv")
    assert "after 2 attempts" in message
    assert f"expected sha256 {hashlib.sha256(PAYLOAD).hexdigest()}" in message
    assert f"got {hashlib.sha256(PAYLOAD.replace(b'20', b'21')).hexdigest()}" in message
    assert "data_contracts/sources/demo__data.yml" in message
    assert _cache_files(tmp_path) == []  # no partial or corrupt file left behind


def test_a_refused_request_is_not_retried(https_server, tmp_path):
    https_server.plan[:] = ["404"]
    with pytest.raises(FetchError, match="could not download") as caught:
        fetch_module.fetch("demo__data", "d.csv")
    assert https_server.served == ["404"]
    assert "not retried" in str(caught.value) and "ATLAS_MIRROR" in str(caught.value)
    assert _cache_files(tmp_path) == []


def test_a_refresh_downloads_again_and_keeps_the_cached_copy_when_the_new_one_is_corrupt(
        https_server, tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_DOWNLOAD_RETRIES", "0")
    path = fetch_module.fetch("demo__data", "d.csv")
    assert https_server.served == ["ok"]
    with fetch_module.refreshing():
        assert fetch_module.fetch("demo__data", "d.csv") == path  # a verified copy, downloaded again
        assert https_server.served == ["ok", "ok"]
        https_server.plan[:] = ["corrupt"]
        with pytest.raises(FetchError, match="checksum mismatch"):
            fetch_module.fetch("demo__data", "d.csv")
    assert path.read_bytes() == PAYLOAD
    assert _cache_files(tmp_path) == [".d.csv.http.json", "d.csv"]  # no staging folder left
