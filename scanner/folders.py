"""Which folders a scan reads and which messages in them, decided with IMAP SEARCH on the server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from imap_tools import AND, OR, H
from imap_tools.folder import FolderInfo

from scanner.imap import ImapSession

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
# Headers naming the recipient a group address delivered to.
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To")


@dataclass(frozen=True, slots=True)
class FolderWork:
    """The messages of one folder that a scan reads."""

    folder: str
    uids: list[int]


def inbox_work(session: ImapSession, since: date) -> list[FolderWork]:
    """INBOX scan: the INBOX's messages received on or after `since`."""
    return [FolderWork("INBOX", session.search("INBOX", AND(date_gte=since)))]


def groups_work(session: ImapSession, since: date, addresses: list[str]) -> list[FolderWork]:
    """GROUPS scan: in every folder a received mail can be in, the messages since `since`
    addressed to any of `addresses` in To, Cc, Delivered-To or X-Original-To."""
    if not addresses:
        return []
    headers = [H(name, address) for name in RECIPIENT_HEADERS for address in addresses]
    criteria = AND(OR(to=addresses, cc=addresses, header=headers), date_gte=since)
    work = []
    for folder in session.folders():
        if scanned_folder(folder):
            uids = session.search(folder.name, criteria)
            if uids:
                work.append(FolderWork(folder.name, uids))
    return work


def scanned_folder(folder: FolderInfo) -> bool:
    """True for a selectable folder that is not Trash, Junk, Drafts or Sent."""
    flags = {flag.lower() for flag in folder.flags}
    if flags & UNSELECTABLE:
        return False
    if flags & SKIPPED_SPECIAL_USE:
        return False
    leaf = folder.name.rsplit(folder.delim, 1)[-1] if folder.delim else folder.name
    return leaf.strip().lower() not in SKIPPED_NAMES
