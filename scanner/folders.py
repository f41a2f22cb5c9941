"""Which folders a scan reads and which messages in them, decided with IMAP SEARCH on the server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from email.utils import getaddresses
from typing import Any

from scanner.imap import Folder, ImapSession
from scanner.messages import RECIPIENT_HEADERS, ParsedMessage

# RFC 6154 SPECIAL-USE flags of folders a GROUPS scan skips: nothing received lives there.
SKIPPED_SPECIAL_USE = frozenset({"\\trash", "\\junk", "\\drafts", "\\sent"})
# The same folders by their usual names, for servers that announce no SPECIAL-USE flags.
SKIPPED_NAMES = frozenset(
    {
        "trash",
        "deleted",
        "deleted items",
        "deleted messages",
        "bin",
        "papierkorb",
        "corbeille",
        "papelera",
        "junk",
        "junk e-mail",
        "junk email",
        "spam",
        "bulk mail",
        "drafts",
        "draft",
        "entwürfe",
        "brouillons",
        "borradores",
        "sent",
        "sent items",
        "sent mail",
        "sent messages",
        "gesendet",
        "gesendete elemente",
        "envoyés",
        "éléments envoyés",
        "enviados",
        "elementos enviados",
    }
)
UNSELECTABLE = frozenset({"\\noselect", "\\nonexistent"})


@dataclass(frozen=True, slots=True)
class FolderWork:
    """The messages of one folder that a scan reads, and the folder's UIDVALIDITY: UIDs are
    only comparable between scans while it stays the same."""

    folder: str
    uidvalidity: int
    uids: list[int]


def inbox_criteria(since: date) -> list[Any]:
    """The SEARCH keys of an INBOX scan: every message received on or after `since`."""
    return ["SINCE", since]


def groups_criteria(since: date, addresses: list[str]) -> list[Any]:
    """The SEARCH keys of a GROUPS scan: messages received since `since` whose To, Cc,
    Delivered-To or X-Original-To contains one of `addresses` (at least one)."""
    terms = [[key, address] for key in ("TO", "CC") for address in addresses]
    terms += [["HEADER", name, address] for name in RECIPIENT_HEADERS[2:] for address in addresses]
    return ["SINCE", since, *any_of(terms)]


def uids_between(
    session: ImapSession, criteria: list[Any], first_uid: int, last_uid: int
) -> list[int]:
    """The UIDs from `first_uid` to `last_uid` of the selected folder that `criteria` find: what
    one part of a split scan reads (tasks/parts.py), searched again by the run reading it."""
    if first_uid > last_uid:
        return []
    return session.search(["UID", f"{first_uid}:{last_uid}", *criteria])


def inbox_work(session: ImapSession, since: date) -> list[FolderWork]:
    """INBOX scan: the INBOX's messages received on or after `since`."""
    uidvalidity = session.select("INBOX")
    return [FolderWork("INBOX", uidvalidity, session.search(inbox_criteria(since)))]


def groups_work(session: ImapSession, since: date, addresses: list[str]) -> list[FolderWork]:
    """GROUPS scan: in every folder a received mail can be in, the messages `groups_criteria`
    find. SEARCH matches substrings ("ap@x" also finds "nap@x"): `addressed_to` then keeps the
    exact ones."""
    if not addresses:
        return []
    criteria = groups_criteria(since, addresses)
    work = []
    for folder in session.folders():
        if scanned_folder(folder):
            uidvalidity = session.select(folder.name)
            uids = session.search(criteria)
            if uids:
                work.append(FolderWork(folder.name, uidvalidity, uids))
    return work


def any_of(terms: list[list[Any]]) -> list[Any]:
    """IMAP's OR takes two keys: "a or b or c" is written OR a OR b c."""
    tokens: list[Any] = []
    for term in terms[:-1]:
        tokens += ["OR", *term]
    return tokens + terms[-1]


def addressed_to(addresses: list[str]) -> Callable[[ParsedMessage], bool]:
    """A test of whether a message names one of `addresses` exactly in a recipient header."""
    wanted = {address.strip().casefold() for address in addresses}

    def matches(message: ParsedMessage) -> bool:
        named = getaddresses(message.recipients)
        return any(address.casefold() in wanted for _, address in named)

    return matches


def scanned_folder(folder: Folder) -> bool:
    """True for a selectable folder that is not Trash, Junk, Drafts or Sent."""
    if folder.flags & UNSELECTABLE or folder.flags & SKIPPED_SPECIAL_USE:
        return False
    leaf = folder.name.rsplit(folder.delimiter, 1)[-1] if folder.delimiter else folder.name
    return leaf.strip().lower() not in SKIPPED_NAMES
