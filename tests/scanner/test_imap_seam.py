"""The seam scanner/imap_connect.py relies on: IMAPClient builds its imaplib object in the private
`_create_IMAP4`, and imaplib opens its socket in `_create_socket`. If a release of either moves
them, these tests fail loudly instead of connections silently resolving the host again."""

from __future__ import annotations

import datetime
import imaplib
import inspect
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID
from imapclient import IMAPClient

from models.enums import ImapSecurity
from scanner.imap import ImapLogin, ImapSession
from tests.scanner.test_hosts import Rebinding

HOST = "imap.pinned.test"


def test_imapclient_still_builds_its_connection_in_create_imap4() -> None:
    assert "self._imap = self._create_IMAP4()" in inspect.getsource(IMAPClient.__init__)
    assert "self._create_socket(timeout)" in inspect.getsource(imaplib.IMAP4.open)


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for HOST: (certificate, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(Encoding.PEM))
    key_path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return cert_path, key_path


def _tls_imap_server(cert: Path, key: Path, names: list[str | None]) -> int:
    """An IMAPS server on 127.0.0.1 that accepts any login; `names` gets each SNI it hears."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        raw, _ = listener.accept()
        listener.close()
        with context.wrap_socket(raw, server_side=True) as tls:
            tls.sendall(b"* OK [CAPABILITY IMAP4rev1] ready\r\n")
            for line in tls.makefile("rb"):
                tag = line.split(b" ", 1)[0]
                if b" LOGOUT" in line.upper():
                    tls.sendall(b"* BYE bye\r\n" + tag + b" OK done\r\n")
                    return
                tls.sendall(tag + b" OK done\r\n")

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1]


def test_tls_checks_the_certificate_against_the_host_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Connected to the pinned address, TLS still sends the host NAME (SNI) and verifies the
    certificate against it: a certificate for HOST is accepted at 127.0.0.1."""
    cert, key = _certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust our certificate only
    names: list[str | None] = []
    port = _tls_imap_server(cert, key, names)
    monkeypatch.setattr(socket, "getaddrinfo", Rebinding(HOST, "127.0.0.1", "192.0.2.1"))
    login = ImapLogin(
        host=HOST,
        port=port,
        security=ImapSecurity.SSL,
        username="u",
        password="p",
        timeout=5.0,
        allow_private_hosts=True,
    )
    session: Any
    with ImapSession(login) as session:
        assert session.client.socket().getpeername()[0] == "127.0.0.1"
    assert names == [HOST]
