"""Opening an IMAP connection: to an address checked once, with a socket another thread can close.

IMAPClient (through imaplib) connects by host name, which would resolve the name a second time
after scanner/hosts.py checked it: a name answering a public address at the check and 127.0.0.1
at the connect (DNS rebinding) would reach our own network. Here the name is resolved once, every
address checked, and the socket connected to those addresses only, each in turn as
`socket.create_connection` would (a dual-stack name whose IPv6 is unreachable, or one of several
A records down, still connects); TLS still verifies the certificate against the host NAME
(server_hostname, SNI), for SSL and STARTTLS alike.

Seam: IMAPClient builds its imaplib object in its private `_create_IMAP4`; PinnedIMAPClient
overrides it (imapclient pinned in pyproject.toml; tests/scanner/test_imap_seam.py fails loudly
when the internal changes). The imaplib side is `IMAP4._create_socket`, the hook imaplib's own
IMAP4_SSL and IMAPClient's classes override.
"""

from __future__ import annotations

import contextlib
import imaplib
import socket
import ssl
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from imapclient import IMAPClient

from models.enums import ImapSecurity


class SocketGuard:
    """Lets another thread close a session's connection at once: a cancel, or a deadline.

    It holds a duplicate of the connection's socket. Shutting the duplicate down ends the TCP
    connection for every descriptor, so a recv blocked in the session's thread returns at once;
    and the duplicate outlives the TLS wrap (which detaches the socket object it wraps, during
    the handshake and at STARTTLS).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        # Why the connection was closed from outside ("cancelled", "timed out"); None while open.
        self.reason: str | None = None

    def attach(self, sock: socket.socket) -> None:
        """Watch `sock`; closed at once when the guard was already tripped."""
        duplicate = sock.dup()
        with self._lock:
            previous, self._sock = self._sock, duplicate
            if self.reason is not None:
                _shut(duplicate)
        if previous is not None:
            previous.close()

    def abort(self, reason: str) -> None:
        """Close the connection now (any thread); the first reason given is kept."""
        with self._lock:
            if self.reason is None:
                self.reason = reason
            if self._sock is not None:
                _shut(self._sock)

    @contextmanager
    def limit(self, seconds: float) -> Iterator[None]:
        """Abort with "timed out" if the block runs longer than `seconds`: a server that
        trickles a byte now and then never trips the per-recv timeout, but trips this."""
        timer = threading.Timer(seconds, self.abort, args=("timed out",))
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def close(self) -> None:
        """Release the duplicate (the session is over)."""
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer
        sock.shutdown(socket.SHUT_RDWR)


class _PinnedIMAP4(imaplib.IMAP4):
    """imaplib's client, connected to one of fixed addresses; `host` stays the name, so TLS
    (here, or later by STARTTLS) checks the certificate against it."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        addresses: Sequence[str],
        guard: SocketGuard,
        timeout: float,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        self._addresses = addresses
        self._guard = guard
        self._ssl_context = ssl_context
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        sock = _connect_to_any(self._addresses, self.port, timeout)
        # Watched before the TLS handshake and the greeting, which a server may trickle.
        self._guard.attach(sock)
        if self._ssl_context is None:
            return sock
        return self._ssl_context.wrap_socket(sock, server_hostname=self.host)


def _connect_to_any(addresses: Sequence[str], port: int, timeout: float | None) -> socket.socket:
    """A connection to the first of `addresses` that accepts one; the last failure else."""
    if not addresses:
        raise OSError("no address to connect to")
    failure: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            failure = exc
    assert failure is not None
    raise failure


class PinnedIMAPClient(IMAPClient):
    """IMAPClient whose connection goes to `addresses`, the checked addresses `host` resolved
    to."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        addresses: Sequence[str],
        guard: SocketGuard,
        use_ssl: bool,
        timeout: float,
    ) -> None:
        self._pinned_addresses = addresses
        self._guard = guard
        self._connect_timeout = timeout
        context = ssl.create_default_context() if use_ssl else None
        super().__init__(host, port, ssl=use_ssl, ssl_context=context, timeout=timeout)

    def _create_IMAP4(self) -> imaplib.IMAP4:
        return _PinnedIMAP4(
            self.host,
            self.port,
            addresses=self._pinned_addresses,
            guard=self._guard,
            timeout=self._connect_timeout,
            ssl_context=self.ssl_context if self.ssl else None,
        )


def open_client(
    host: str,
    port: int,
    security: ImapSecurity,
    *,
    addresses: Sequence[str],
    guard: SocketGuard,
    timeout: float,
) -> IMAPClient:
    """A connected client (greeted; STARTTLS done when asked), not yet logged in."""
    client = PinnedIMAPClient(
        host,
        port,
        addresses=addresses,
        guard=guard,
        use_ssl=security is ImapSecurity.SSL,
        timeout=timeout,
    )
    if security is ImapSecurity.STARTTLS:
        try:
            client.starttls(ssl.create_default_context())
        except BaseException:
            with contextlib.suppress(*_CLOSE_FAILURES):
                client.shutdown()
            raise
    return client


_CLOSE_FAILURES = (OSError, imaplib.IMAP4.error)
