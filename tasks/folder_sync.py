"""Remember per folder what scans have read, so a rescan of the same window fetches only mail
that arrived since, and starts over when the folder's UIDVALIDITY changes. A task resumed after
its worker was lost reads on from its own stored position instead (models/scan_task.py)."""

from __future__ import annotations

import time
from datetime import date

from models import EmailAccount
from models.email_account import FolderSync
from models.enums import ScanType
from models.scan_task import FolderMark, ScanPosition
from scanner.folders import FolderWork

# How often a folder's read position is written to the account while the folder is read (and
# always after its last batch): each write of the account is one more the shared store serves.
REMEMBER_READ_SECONDS = 5.0


def sync_scope(scan_type: ScanType, group_addresses: list[str]) -> str:
    """What a scan's reading covers besides the folder: a GROUPS scan with other addresses
    selected other messages, so it keeps its own record."""
    if scan_type is ScanType.GROUPS:
        return "GROUPS:" + ",".join(sorted(a.casefold() for a in group_addresses))
    return scan_type.value


def read_before(work: FolderWork, since: date, previous: FolderSync | None) -> int:
    """The UID up to which an earlier scan of a window at least as wide has read `work.folder`
    (0: nothing of it can be skipped)."""
    if previous is None or previous.uidvalidity != work.uidvalidity or previous.since > since:
        return 0
    return previous.last_uid


def plan_reading(
    found: list[FolderWork],
    scope: str,
    synced: dict[str, FolderSync],
    position: ScanPosition | None,
    since: date,
) -> tuple[list[FolderWork], ScanPosition]:
    """What a run reads of the messages the search `found`, and the position it starts from.

    A fresh task leaves out what earlier scans of a window at least as wide have read (the
    account's `synced` record). A folder this task has read before (the same UIDVALIDITY) goes
    on after the task's own mark: the account's record may be a batch ahead of the counters the
    task stored, the mark never is. Any other folder starts where earlier scans left it.
    """
    marks = dict(position.folders) if position is not None else {}
    plan = []
    for work in found:
        key = FolderSync.key(scope, work.folder)
        mark = marks.get(key)
        if mark is None or mark.uidvalidity != work.uidvalidity:
            start = read_before(work, since, synced.get(key))
            mark = FolderMark(folder=work.folder, uidvalidity=work.uidvalidity, read_up_to=start)
            marks[key] = mark
        plan.append(_after(work, mark.read_up_to))
    return plan, ScanPosition(since=since, folders=marks)


def _after(work: FolderWork, uid: int) -> FolderWork:
    if uid <= 0:
        return work
    return FolderWork(work.folder, work.uidvalidity, [u for u in work.uids if u > uid])


async def remember_read(
    account: EmailAccount, scope: str, work: FolderWork, since: date, last_uid: int
) -> None:
    """Record that every message of `work.folder` up to `last_uid` received since `since` has
    been read. UIDs are read in ascending order, so this holds after every batch."""
    record = FolderSync(
        folder=work.folder, uidvalidity=work.uidvalidity, since=since, last_uid=last_uid
    )
    await remember_folder(account.id, FolderSync.key(scope, work.folder), record)


async def remember_folder(account_id: object, key: str, record: FolderSync) -> None:
    """Store `record` as the account's read position of the folder `key`."""
    # One field of the account, not the whole document: the API may edit the account meanwhile.
    await EmailAccount.get_pymongo_collection().update_one(
        {"_id": account_id}, {"$set": {f"folder_sync.{key}": record.model_dump(mode="json")}}
    )


class ReadProgress:
    """How far a scan has read one folder, written to the account at most every `every` seconds
    while the folder is read, and after its last batch. The account's record may thus lag (a
    later scan reads a little again), but must never lead: the caller stores the invoices of
    every message up to a UID before it remembers that UID."""

    def __init__(
        self,
        account: EmailAccount,
        scope: str,
        work: FolderWork,
        since: date,
        every: float = REMEMBER_READ_SECONDS,
    ) -> None:
        self._account, self._scope, self._work, self._since = account, scope, work, since
        self._every = every
        self._written = time.monotonic()

    def due(self) -> bool:
        """Whether the read position is due to be written again."""
        return time.monotonic() - self._written >= self._every

    async def remember(self, last_uid: int) -> None:
        """Write that the folder is read up to `last_uid`, its invoices stored."""
        await remember_read(self._account, self._scope, self._work, self._since, last_uid)
        self._written = time.monotonic()
