"""IMAP access: log in (password or XOAUTH2), list folders, search on the server, fetch what a
scan needs. Built on IMAPClient, which parses BODYSTRUCTURE: a scan reads a message's outline
first and then fetches only the parts that can hold an invoice."""

from __future__ import annotations

import imaplib
import socket
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from imapclient.response_types import BodyData

from models.enums import ImapSecurity
from scanner.hosts import PrivateHostError, ensure_public_host

# What a failing server or connection raises through imaplib and IMAPClient.
# UnicodeError: an invalid host name (IDNA) or a non-ASCII password imaplib cannot send.
_IMAP_FAILURES = (OSError, UnicodeError, imaplib.IMAP4.error, IMAPClientError, socket.timeout)

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


@dataclass(frozen=True, slots=True)
class ImapLogin:
    """Where and how to log in. Exactly one of password and oauth2_token is set."""

    host: str
    port: int
    security: ImapSecurity
    username: str
    password: str | None = None
    oauth2_token: str | None = None
    timeout: float = 30.0
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


def _client_for(login: ImapLogin) -> IMAPClient:
    if login.security is ImapSecurity.SSL:
        context = ssl.create_default_context()
        return IMAPClient(
            login.host, login.port, ssl=True, ssl_context=context, timeout=login.timeout
        )
    client = IMAPClient(login.host, login.port, ssl=False, timeout=login.timeout)
    if login.security is ImapSecurity.STARTTLS:
        client.starttls(ssl.create_default_context())
    return client


class ImapSession:
    """A logged-in IMAP connection; use as a context manager."""

    def __init__(self, login: ImapLogin) -> None:
        self._login = login
        self._client: IMAPClient | None = None
        self._selected: str | None = None

    def __enter__(self) -> ImapSession:
        login = self._login
        try:
            if not login.allow_private_hosts:
                ensure_public_host(login.host, login.port)
            client = _client_for(login)
        except PrivateHostError as exc:
            raise ImapError(str(exc)) from exc
        except _IMAP_FAILURES as exc:
            raise ImapError(f"Cannot connect to {login.host}:{login.port}: {exc}") from exc
        client.normalise_times = False  # keep INTERNALDATE's offset instead of local naive time
        try:
            if login.oauth2_token is not None:
                client.oauth2_login(login.username, login.oauth2_token)
            else:
                client.login(login.username, login.password or "")
        except _IMAP_FAILURES as exc:
            client.shutdown()
            raise ImapError(f"Login to {login.host} failed: {exc}") from exc
        self._client = client
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._client is not None:
            try:
                self._client.logout()
            except _IMAP_FAILURES:
                self._client.shutdown()
            self._client = None

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise RuntimeError("ImapSession used outside its with-block")
        return self._client

    def folders(self) -> list[Folder]:
        """Every folder of the account, with its flags."""
        with _as_imap_error("Listing folders"):
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
        with _as_imap_error(f"Opening {folder}"):
            status = self.client.select_folder(folder, readonly=True)
        self._selected = folder
        return int(status[b"UIDVALIDITY"])

    def search(self, criteria: Sequence[Any]) -> list[int]:
        """UIDs in the selected folder matching `criteria` (IMAPClient's list form), searched
        on the server; SINCE compares INTERNALDATE, the date the server received the message."""
        with _as_imap_error(f"Searching {self._selected}"):
            return sorted(self.client.search(list(criteria), charset="UTF-8"))

    def outlines(self, uids: Sequence[int]) -> list[Outline]:
        """Size, INTERNALDATE, outline headers and BODYSTRUCTURE of `uids`, in one round trip."""
        if not uids:
            return []
        items = ["INTERNALDATE", "RFC822.SIZE", "BODYSTRUCTURE", _HEADER_ITEM]
        with _as_imap_error(f"Fetching outlines from {self._selected}"):
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
        "2.1.MIME" its header), as the server holds them (still transfer-encoded). One FETCH
        per distinct set of sections: parts of a batch usually share their numbering."""
        by_sections: dict[tuple[str, ...], list[int]] = {}
        for uid, names in wanted.items():
            if names:
                by_sections.setdefault(tuple(names), []).append(uid)
        result: dict[int, dict[str, bytes]] = {}
        for section_names, uids in by_sections.items():
            items = [f"BODY.PEEK[{name}]" for name in section_names]
            with _as_imap_error(f"Fetching from {self._selected}"):
                fetched = self.client.fetch(uids, items)
            for uid, data in fetched.items():
                result[uid] = {name: _section(data, name) for name in section_names}
        return result


@contextmanager
def _as_imap_error(action: str) -> Iterator[None]:
    """Turn a connection or protocol failure into ImapError, which ends the scan as FAILURE."""
    try:
        yield
    except _IMAP_FAILURES as exc:
        raise ImapError(f"{action} failed: {exc}") from exc


def _section(data: dict[bytes, Any], name: str) -> bytes:
    value = data.get(f"BODY[{name}]".encode())
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
