"""Which messages a rescan skips: those an earlier scan of a window at least as wide has read,
while the folder keeps its UIDVALIDITY."""

from __future__ import annotations

from datetime import date

from models.email_account import FolderSync
from models.enums import ScanType
from scanner.folders import FolderWork
from tasks.folder_sync import sync_scope, unread

WORK = FolderWork("INBOX", uidvalidity=7, uids=[3, 5, 8, 13])
SINCE = date(2026, 9, 1)


def previous(*, uidvalidity: int = 7, since: date = SINCE, last_uid: int = 5) -> FolderSync:
    return FolderSync(folder="INBOX", uidvalidity=uidvalidity, since=since, last_uid=last_uid)


def test_first_scan_reads_everything() -> None:
    assert unread(WORK, SINCE, None).uids == [3, 5, 8, 13]


def test_rescan_reads_only_newer_uids() -> None:
    assert unread(WORK, SINCE, previous()).uids == [8, 13]
    # A narrower window was covered by the wider one read before.
    assert unread(WORK, date(2026, 10, 1), previous()).uids == [8, 13]


def test_wider_window_reads_everything_again() -> None:
    assert unread(WORK, date(2026, 6, 1), previous()).uids == [3, 5, 8, 13]


def test_new_uidvalidity_reads_everything_again() -> None:
    assert unread(WORK, SINCE, previous(uidvalidity=8)).uids == [3, 5, 8, 13]


def test_groups_scopes_differ_by_address_set() -> None:
    assert sync_scope(ScanType.INBOX, ["ap@x"]) == "INBOX"
    assert sync_scope(ScanType.GROUPS, ["b@x", "AP@x"]) == sync_scope(
        ScanType.GROUPS, ["ap@x", "b@x"]
    )
    assert sync_scope(ScanType.GROUPS, ["ap@x"]) != sync_scope(ScanType.GROUPS, ["ap@x", "b@x"])
    assert FolderSync.key("INBOX", "a.b$c") != FolderSync.key("GROUPS:ap@x", "a.b$c")
