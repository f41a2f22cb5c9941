"""IMAP access: log in (password or XOAUTH2), list folders, search on the server, fetch what a
scan needs. Built on IMAPClient, which parses BODYSTRUCTURE: a scan reads a message's outline
first and then fetches only the parts that can hold an invoice.

Every connection goes to an address checked once (scanner/imap_connect.py). Every command has a
deadline, and `ImapSession.abort` closes the connection from another thread (a cancel). Errors
name the class of failure, never the server's own words: a "server" may be any service a user
points us at, and its banner would be shown back to them.
"""

from __future__ import annotations

import contextlib
import imaplib
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from imapclient import IMAPClient
from imapclient.exceptions import CapabilityError, IMAPClientError
from imapclient.response_types import BodyData

from models.enums import ImapSecurity
from scanner.hosts import PrivateHostError, checked_addresses
from scanner.imap_connect import SocketGuard, open_client

# What a failing server or connection raises through imaplib and IMAPClient (socket.timeout
# is TimeoutError, an OSError). UnicodeError: a non-ASCII name or password imaplib cannot send.
_IMAP_FAILURES = (OSError, UnicodeError, imaplib.IMAP4.error, IMAPClientError)
# Characters that end an IMAP command line (or a C string): never sent inside a credential.
LINE_BREAKING = frozenset("\r\n\0")

type _Phase = Literal["connect", "login", "command"]

# The headers a scan reads before deciding anything about a message.
OUTLINE_HEADERS = (
    "MESSAGE-ID",
    "SUBJECT",
    "FROM",
    "DATE",
    "TO",
    "CC",
    "DELIVERED-TO",
    "X-ORIGINAL-TO",
    "CONTENT-TYPE",
    "CONTENT-TRANSFER-ENCODING",
)
_HEADER_ITEM = f"BODY.PEEK[HEADER.FIELDS ({' '.join(OUTLINE_HEADERS)})]"


class ImapError(Exception):
    """Logging in or talking to the server failed; the message is safe to show to the user."""


class ImapHostError(ImapError):
    """The host name does not resolve, or resolves to a non-public address."""


@dataclass(frozen=True, slots=True)
class ImapLogin:
    """Where and how to log in. Exactly one of password and oauth2_token is set."""

    host: str
    port: int
    security: ImapSecurity
    username: str
    password: str | None = None
    oauth2_token: str | None = None
    # Per recv (and the TCP connect): how long the server may stay silent.
    timeout: float = 30.0
    # Per command (connecting and logging in count as one): how long a command may take in
    # all, however the server trickles its answer.
    deadline: float = 300.0
    # Checked at every connection, not only when the account is added: DNS can change.
    allow_private_hosts: bool = False


@dataclass(frozen=True, slots=True)
class Folder:
    """A folder as LIST names it, with its flags lower-cased (RFC 6154 SPECIAL-USE included)."""

    name: str
    delimiter: str
    flags: frozenset[str]


@dataclass(frozen=True, slots=True)
class Outline:
    """What one cheap FETCH tells about a message: enough to decide which parts to download."""

    uid: int
    internal_date: datetime | None
    size: int
    header: bytes
    structure: BodyData | None


class ImapSession:
    """A logged-in IMAP connection; use as a context manager. `abort` may be called from any
    thread: the connection closes at once, and the command under way fails."""

    def __init__(self, login: ImapLogin) -> None:
        self._login = login
        self._guard = SocketGuard()
        self._client: IMAPClient | None = None
        self._selected: str | None = None

    def __enter__(self) -> ImapSession:
        login = self._login
        _refuse_line_breaks(login)
        target = f"{login.host}:{login.port}"
        try:
            with self._guard.limit(login.deadline):
                addresses = _checked_addresses(login)
                with self._failing(f"Connecting to {target}", "connect"):
                    client = open_client(
                        login.host,
                        login.port,
                        login.security,
                        addresses=addresses,
                        guard=self._guard,
                        timeout=login.timeout,
                    )
                client.normalise_times = False  # keep INTERNALDATE's offset, not local time
                try:
                    with self._failing(f"Login to {login.host}", "login"):
                        _log_in(client, login)
                except ImapError:
                    _shutdown(client)
                    raise
        except BaseException:
            self._guard.close()
            raise
        self._client = client
        return self

    def __exit__(self, *exc_info: object) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                with self._guard.limit(min(self._login.timeout, self._login.deadline)):
                    client.logout()
            except _IMAP_FAILURES:
                _shutdown(client)
        self._guard.close()

    def abort(self, reason: str = "cancelled") -> None:
        """Close the connection now, from any thread; the command under way fails with
        `reason`. Before the connection exists, it is closed as soon as it opens."""
        self._guard.abort(reason)

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise RuntimeError("ImapSession used outside its with-block")
        return self._client

    @contextmanager
    def _failing(self, action: str, phase: _Phase = "command") -> Iterator[None]:
        """Run one command under the deadline; a failure becomes ImapError naming its class."""
        try:
            with self._guard.limit(self._login.deadline):
                yield
        except _IMAP_FAILURES as exc:
            reason = self._guard.reason or failure_class(exc, phase)
            raise ImapError(f"{action} failed: {reason}") from exc

    def folders(self) -> list[Folder]:
        """Every folder of the account, with its flags."""
        with self._failing("Listing folders"):
            listed = self.client.list_folders()
        return [
            Folder(
                name=name,
                delimiter=_text(delimiter),
                flags=frozenset(_text(flag).lower() for flag in flags),
            )
            for flags, delimiter, name in listed
        ]

    def select(self, folder: str) -> int:
        """Select `folder` read-only (nothing a scan does marks mail as read); its UIDVALIDITY."""
        # Folder names come from the server: not quoted in errors.
        with self._failing("Opening a folder"):
            status = self.client.select_folder(folder, readonly=True)
        self._selected = folder
        return int(status[b"UIDVALIDITY"])

    def search(self, criteria: Sequence[Any]) -> list[int]:
        """UIDs in the selected folder matching `criteria` (IMAPClient's list form), searched
        on the server; SINCE compares INTERNALDATE, the date the server received the message."""
        with self._failing("Searching a folder"):
            return sorted(self.client.search(list(criteria), charset="UTF-8"))

    def outlines(self, uids: Sequence[int]) -> list[Outline]:
        """Size, INTERNALDATE, outline headers and BODYSTRUCTURE of `uids`, in one round trip."""
        if not uids:
            return []
        items = ["INTERNALDATE", "RFC822.SIZE", "BODYSTRUCTURE", _HEADER_ITEM]
        with self._failing("Fetching message outlines"):
            fetched = self.client.fetch(list(uids), items)
        return [
            Outline(
                uid=uid,
                internal_date=_aware(data.get(b"INTERNALDATE")),
                size=int(data.get(b"RFC822.SIZE", 0)),
                header=_header_bytes(data),
                structure=data.get(b"BODYSTRUCTURE"),
            )
            for uid, data in sorted(fetched.items())
        ]

    def sections(self, wanted: dict[int, list[str]]) -> dict[int, dict[str, bytes]]:
        """For each uid, the named body sections ("" is the whole message, "2.1" a part,
        "2.1.MIME" its header), as the server holds them (still transfer-encoded). A name may
        end in a range of bytes, "2<2048.9000>": at most 9000 of them from offset 2048. One
        FETCH per distinct set of sections: parts of a batch usually share their numbering."""
        by_sections: dict[tuple[str, ...], list[int]] = {}
        for uid, names in wanted.items():
            if names:
                by_sections.setdefault(tuple(names), []).append(uid)
        result: dict[int, dict[str, bytes]] = {}
        for section_names, uids in by_sections.items():
            items = [_fetch_item(name) for name in section_names]
            with self._failing("Fetching messages"):
                fetched = self.client.fetch(uids, items)
            for uid, data in fetched.items():
                result[uid] = {name: _answered(data, name) for name in section_names}
        return result

    def prefixes(self, wanted: dict[int, list[str]], length: int) -> dict[int, dict[str, bytes]]:
        """For each uid, the first `length` bytes of the named sections (fewer when a section
        is shorter), still transfer-encoded: a look at a part before it is fetched whole. One
        FETCH per distinct set of sections, as `sections`."""
        ranged = {uid: [f"{name}<0.{length}>" for name in names] for uid, names in wanted.items()}
        fetched = self.sections(ranged)
        return {
            uid: {name.partition("<")[0]: value for name, value in data.items()}
            for uid, data in fetched.items()
        }


def failure_class(exc: BaseException, phase: _Phase) -> str:
    """What went wrong, in our words: never the exception's text, which may quote the server."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "the server's TLS certificate was not accepted"
    if isinstance(exc, ssl.SSLError):
        return "TLS handshake failed"
    if isinstance(exc, UnicodeError):
        return "the username or password is not ASCII"
    if isinstance(exc, CapabilityError):
        return "the server does not offer STARTTLS"
    if isinstance(exc, OSError):
        return "the connection failed"
    if phase == "connect":
        return "the server did not greet as IMAP"
    if isinstance(exc, imaplib.IMAP4.abort):
        return "the server closed the connection"
    if phase == "login":
        return "login refused"
    return "the server refused the command"


def _refuse_line_breaks(login: ImapLogin) -> None:
    """CR, LF or NUL in a credential would end the command line early and start another."""
    for value in (login.username, login.password, login.oauth2_token):
        if value is not None and LINE_BREAKING.intersection(value):
            raise ImapError(f"Login to {login.host} failed: a credential holds a line break")


def _checked_addresses(login: ImapLogin) -> list[str]:
    """The addresses to connect to: resolved once, every one checked (scanner/hosts.py)."""
    try:
        addresses = checked_addresses(
            login.host, login.port, allow_private=login.allow_private_hosts
        )
    except PrivateHostError as exc:
        raise ImapHostError(str(exc)) from exc
    except (OSError, UnicodeError) as exc:
        raise ImapHostError(f"{login.host} does not resolve") from exc
    if not addresses:
        raise ImapHostError(f"{login.host} does not resolve")
    return addresses


def _log_in(client: IMAPClient, login: ImapLogin) -> None:
    if login.oauth2_token is not None:
        client.oauth2_login(login.username, login.oauth2_token)
    else:
        # imaplib quotes the password but sends the user name as it is: quote it here, so a
        # space or quote in it stays one argument (RFC 3501 astring).
        client.login(imap_quoted(login.username), login.password or "")


def imap_quoted(value: str) -> str:
    """`value` as an IMAP quoted string (RFC 3501): backslash and double quote escaped.
    CR, LF and NUL cannot be quoted; callers refuse them first."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _shutdown(client: IMAPClient) -> None:
    with contextlib.suppress(*_IMAP_FAILURES):
        client.shutdown()


def _fetch_item(name: str) -> str:
    """ "2" as BODY.PEEK[2], "2<0.2048>" as BODY.PEEK[2]<0.2048>."""
    section, bracket, partial = name.partition("<")
    return f"BODY.PEEK[{section}]" + (f"<{partial}" if bracket else "")


def _answered(data: dict[bytes, Any], name: str) -> bytes:
    # BODY.PEEK[2]<2048.9000> is answered as BODY[2]<2048> (RFC 3501 7.4.2): the count is left
    # out; BODY.PEEK[2] as BODY[2].
    section, _, partial = name.partition("<")
    key = f"BODY[{section}]" + (f"<{partial.partition('.')[0]}>" if partial else "")
    value = data.get(key.encode())
    return bytes(value) if value else b""


def _header_bytes(data: dict[bytes, Any]) -> bytes:
    # The server echoes the item as BODY[HEADER.FIELDS (...)], its field list spelt its own way.
    for key, value in data.items():
        if key.startswith(b"BODY[HEADER") and value:
            return bytes(value)
    return b""


def _aware(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)
