"""Which messages a rescan skips: those an earlier scan of a window at least as wide has read,
while the folder keeps its UIDVALIDITY. A resumed task reads on from its own position."""

from __future__ import annotations

import asyncio
from datetime import date

from models import EmailAccount
from models.email_account import FolderSync
from models.enums import ImapSecurity, ScanType
from models.scan_task import FolderMark, ScanPosition
from scanner.folders import FolderWork
from tasks.folder_sync import ReadProgress, plan_reading, sync_scope

WORK = FolderWork("INBOX", uidvalidity=7, uids=[3, 5, 8, 13])
SINCE = date(2026, 9, 1)


KEY = FolderSync.key("INBOX", "INBOX")


def previous(*, uidvalidity: int = 7, since: date = SINCE, last_uid: int = 5) -> FolderSync:
    return FolderSync(folder="INBOX", uidvalidity=uidvalidity, since=since, last_uid=last_uid)


def unread(
    work: FolderWork, since: date, synced: FolderSync | None, position: ScanPosition | None = None
) -> FolderWork:
    [plan], _ = plan_reading([work], "INBOX", {KEY: synced} if synced else {}, position, since)
    return plan


def resumed_at(uid: int, *, uidvalidity: int = 7) -> ScanPosition:
    mark = FolderMark(folder="INBOX", uidvalidity=uidvalidity, read_up_to=uid)
    return ScanPosition(since=SINCE, folders={KEY: mark})


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


def test_the_plan_starts_its_position_where_earlier_scans_left_the_folder() -> None:
    _, position = plan_reading([WORK], "INBOX", {KEY: previous()}, None, SINCE)
    assert position.since == SINCE
    assert position.folders[KEY] == FolderMark(folder="INBOX", uidvalidity=7, read_up_to=5)


def test_a_resumed_task_reads_on_from_its_own_position() -> None:
    # The account's record may be a batch ahead of the counters the task stored with its mark.
    assert unread(WORK, SINCE, previous(last_uid=13), resumed_at(5)).uids == [8, 13]
    assert unread(WORK, SINCE, previous(last_uid=3), resumed_at(8)).uids == [13]
    # A new UIDVALIDITY voids the mark: the folder starts over.
    assert unread(WORK, SINCE, None, resumed_at(8, uidvalidity=6)).uids == [3, 5, 8, 13]


async def test_the_read_position_falls_due_at_most_so_often(
    database,
) -> None:
    account = EmailAccount(
        user_id="marks",
        email="marks@example.com",
        imap_host="imap.example.com",
        imap_port=993,
        security=ImapSecurity.SSL,
        username="marks@example.com",
    )
    await account.insert()

    async def recorded() -> int | None:
        stored = await EmailAccount.get(account.id)
        assert stored is not None
        mark = stored.folder_sync.get(KEY)
        return mark.last_uid if mark else None

    progress = ReadProgress(account, "INBOX", WORK, SINCE, every=0.3)
    assert not progress.due()
    await asyncio.sleep(0.35)
    assert progress.due()
    await progress.remember(8)
    assert await recorded() == 8
    assert not progress.due()  # just written
