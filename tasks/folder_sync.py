"""Remember per folder what scans have read, so a rescan of the same window fetches only mail
that arrived since, and starts over when the folder's UIDVALIDITY changes."""

from __future__ import annotations

from datetime import date

from models import EmailAccount
from models.email_account import FolderSync
from models.enums import ScanType
from scanner.folders import FolderWork


def sync_scope(scan_type: ScanType, group_addresses: list[str]) -> str:
    """What a scan's reading covers besides the folder: a GROUPS scan with other addresses
    selected other messages, so it keeps its own record."""
    if scan_type is ScanType.GROUPS:
        return "GROUPS:" + ",".join(sorted(a.casefold() for a in group_addresses))
    return scan_type.value


def unread(work: FolderWork, since: date, previous: FolderSync | None) -> FolderWork:
    """`work` without the messages an earlier scan of a window at least as wide has read."""
    if previous is None or previous.uidvalidity != work.uidvalidity or previous.since > since:
        return work
    return FolderWork(
        work.folder, work.uidvalidity, [u for u in work.uids if u > previous.last_uid]
    )


async def remember_read(
    account: EmailAccount, scope: str, work: FolderWork, since: date, last_uid: int
) -> None:
    """Record that every message of `work.folder` up to `last_uid` received since `since` has
    been read. UIDs are read in ascending order, so this holds after every batch."""
    record = FolderSync(
        folder=work.folder, uidvalidity=work.uidvalidity, since=since, last_uid=last_uid
    )
    key = FolderSync.key(scope, work.folder)
    # One field of the account, not the whole document: the API may edit the account meanwhile.
    await EmailAccount.get_pymongo_collection().update_one(
        {"_id": account.id}, {"$set": {f"folder_sync.{key}": record.model_dump(mode="json")}}
    )
