"""IMAP access: log in (password or XOAUTH2), search a window on the server, fetch in batches."""

from __future__ import annotations

import imaplib
import re
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError
from imap_tools.folder import FolderInfo
from imap_tools.query import LogicOperator

from models.enums import ImapSecurity
from scanner.hosts import PrivateHostError, ensure_public_host

# What a failing server or connection raises through imaplib and imap-tools.
# UnicodeError: an invalid host name (IDNA) or a non-ASCII password imaplib cannot send.
_IMAP_FAILURES = (OSError, UnicodeError, imaplib.IMAP4.error, ImapToolsError)

# How many UIDs one FETCH asks for: few round trips, bounded memory per batch.
FETCH_BATCH_SIZE = 50

_UID_RE = re.compile(rb"\bUID (\d+)")


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
class FetchedMessage:
    """One message as the server holds it."""

    uid: int
    internal_date: datetime | None
    raw: bytes


def _mailbox_for(login: ImapLogin) -> BaseMailBox:
    if login.security is ImapSecurity.SSL:
        return MailBox(
            login.host, login.port, timeout=login.timeout, ssl_context=ssl.create_default_context()
        )
    if login.security is ImapSecurity.STARTTLS:
        return MailBoxStartTls(
            login.host, login.port, timeout=login.timeout, ssl_context=ssl.create_default_context()
        )
    return MailBoxUnencrypted(login.host, login.port, timeout=login.timeout)


class ImapSession:
    """A logged-in IMAP connection; use as a context manager."""

    def __init__(self, login: ImapLogin) -> None:
        self._login = login
        self._mailbox: BaseMailBox | None = None

    def __enter__(self) -> ImapSession:
        login = self._login
        try:
            if not login.allow_private_hosts:
                ensure_public_host(login.host, login.port)
            mailbox = _mailbox_for(login)
        except PrivateHostError as exc:
            raise ImapError(str(exc)) from exc
        except _IMAP_FAILURES as exc:
            raise ImapError(f"Cannot connect to {login.host}:{login.port}: {exc}") from exc
        try:
            if login.oauth2_token is not None:
                mailbox.xoauth2(login.username, login.oauth2_token, initial_folder=None)
            else:
                mailbox.login(login.username, login.password or "", initial_folder=None)
        except _IMAP_FAILURES as exc:
            mailbox.client.shutdown()
            raise ImapError(f"Login to {login.host} failed: {exc}") from exc
        self._mailbox = mailbox
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._mailbox is not None:
            try:
                self._mailbox.logout()
            except _IMAP_FAILURES:
                self._mailbox.client.shutdown()
            self._mailbox = None

    @property
    def mailbox(self) -> BaseMailBox:
        if self._mailbox is None:
            raise RuntimeError("ImapSession used outside its with-block")
        return self._mailbox

    def folders(self) -> list[FolderInfo]:
        """Every folder of the account, with its flags."""
        with _as_imap_error("Listing folders"):
            return self.mailbox.folder.list()

    def search(self, folder: str, criteria: LogicOperator) -> list[int]:
        """Select `folder` read-only and return the UIDs matching `criteria`, searched on the
        server (SINCE compares INTERNALDATE, the date the server received the message)."""
        with _as_imap_error(f"Searching {folder}"):
            self.mailbox.folder.set(folder, readonly=True)
            return sorted(int(uid) for uid in self.mailbox.uids(criteria, charset="UTF-8"))

    def fetch_batch(self, folder: str, uids: list[int]) -> list[FetchedMessage]:
        """Whole messages of `folder` in one round trip; BODY.PEEK leaves the
        messages unread. Callers keep batches near FETCH_BATCH_SIZE to bound memory."""
        with _as_imap_error(f"Fetching from {folder}"):
            if self.mailbox.folder.get() != folder:
                self.mailbox.folder.set(folder, readonly=True)
            typ, data = self.mailbox.client.uid(
                "FETCH", ",".join(map(str, uids)), "(UID INTERNALDATE BODY.PEEK[])"
            )
        if typ != "OK":
            raise ImapError(f"FETCH failed: {data!r}")
        return list(_parse_fetch_response(data))


@contextmanager
def _as_imap_error(action: str) -> Iterator[None]:
    """Turn a connection or protocol failure into ImapError, which ends the scan as FAILURE."""
    try:
        yield
    except _IMAP_FAILURES as exc:
        raise ImapError(f"{action} failed: {exc}") from exc


def _parse_fetch_response(data: list[object]) -> Iterator[FetchedMessage]:
    for index, item in enumerate(data):
        if not isinstance(item, tuple) or len(item) != 2:
            continue  # the closing b")" of each message
        header, raw = item
        # A server may send UID and INTERNALDATE after the literal (RFC 3501 allows any order):
        # they then arrive in the bytes element that follows the tuple.
        following = data[index + 1] if index + 1 < len(data) else b""
        if isinstance(following, bytes):
            header = header + b" " + following
        uid_match = _UID_RE.search(header)
        if uid_match is None:
            continue
        yield FetchedMessage(
            uid=int(uid_match.group(1)), internal_date=_internal_date(header), raw=bytes(raw)
        )


def _internal_date(header: bytes) -> datetime | None:
    parsed = imaplib.Internaldate2tuple(header)
    if parsed is None:
        return None
    return datetime.fromtimestamp(time.mktime(parsed), UTC)
