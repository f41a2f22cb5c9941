"""A large scan split into parts that every scan worker reads at once.

Once a scan has searched its mailbox (tasks/scan.py), a scan with more than SCAN_PART_MESSAGES
messages to read is split: each folder's UIDs, in order, into parts of that many. The parts are
stored on the task itself (`position.parts`), so that a part's counts and its read position go
into the task in one atomic write (tasks/part_recorder.py) and nothing is counted twice or lost.

A part is WAITING until it is handed out, QUEUED once its Celery message is sent, RUNNING while
a worker reads it (tasks/part_task.py), DONE when read to its end. At most SCAN_MAX_CONNECTIONS
parts of a scan are QUEUED or RUNNING at once (`parts_in_flight`, claimed atomically): each holds
one IMAP connection, and a mailbox's server refuses more than a few. Each part that ends hands
out the next; the part that ends last finishes the task. Beat's reaper takes back a part whose
worker was lost, and hands out what a lost worker did not (tasks/part_reaper.py).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from beanie import PydanticObjectId
from redis.asyncio import Redis

from core.settings import settings
from models import EmailAccount, ScanTask
from models.email_account import FolderSync, utcnow
from models.enums import TaskStatus
from models.scan_task import PartMark, PartState
from scanner.folders import FolderWork
from tasks.folder_sync import remember_folder
from tasks.ocr_accounting import finish_or_wait, reading_done_changes
from tasks.progress import TaskState, publish_task_state
from tasks.publisher import publisher
from tasks.queue_depth import messages_waiting
from tasks.recorder import TaskRecorder

log = logging.getLogger(__name__)

# A QUEUED part this long unclaimed while the queue is empty lost its message (`lost_messages`).
LOST_MESSAGE_SECONDS = 5.0


def split(plan: list[FolderWork], scope: str, size: int) -> dict[str, PartMark]:
    """Each folder's UIDs to read, in order, in parts of at most `size` messages."""
    parts: dict[str, PartMark] = {}
    for work in plan:
        key = FolderSync.key(scope, work.folder)
        for start in range(0, len(work.uids), size):
            uids = work.uids[start : start + size]
            parts[f"p{len(parts)}"] = PartMark(
                folder_key=key,
                folder=work.folder,
                uidvalidity=work.uidvalidity,
                first_uid=uids[0],
                last_uid=uids[-1],
                messages=len(uids),
                read_up_to=uids[0] - 1,
            )
    return parts


async def split_scan(recorder: TaskRecorder, plan: list[FolderWork], scope: str) -> None:
    """Store the parts of the planned scan on its task, then hand out the first of them."""
    parts = split(plan, scope, settings.SCAN_PART_MESSAGES)
    position = recorder.task.position
    assert position is not None  # `planned` stored it
    position.parts = parts
    await recorder.step(
        "Processing emails", parts_total=len(parts), parts_done=0, parts_in_flight=0
    )
    log.info(
        "scan %s: %d messages in %d parts", recorder.task.id, recorder.task.emails_total, len(parts)
    )
    await hand_out(recorder.task)


async def hand_out(task: ScanTask) -> int:
    """Send the next WAITING parts of `task` while fewer than SCAN_MAX_CONNECTIONS are in
    flight; how many were sent. Each is claimed in the store first, so of two processes handing
    out at once, each part goes to one."""
    collection = ScanTask.get_pymongo_collection()
    sent = 0
    for key, mark in _parts(task):
        if mark.state is not PartState.WAITING:
            continue
        path = f"position.parts.{key}"
        claimed = await collection.update_one(
            {
                "_id": task.id,
                "status": TaskStatus.PROGRESS.value,
                "parts_in_flight": {"$lt": settings.SCAN_MAX_CONNECTIONS},
                f"{path}.state": PartState.WAITING.value,
            },
            {
                "$set": {f"{path}.state": PartState.QUEUED.value, f"{path}.since": utcnow()},
                "$inc": {"parts_in_flight": 1},
            },
        )
        if not claimed.modified_count:
            break  # the cap is reached (or another process handed this part out)
        await send_part(task.id, key, mark.attempt)
        sent += 1
    return sent


async def send_part(task_id: str, key: str, attempt: int) -> None:
    """Send a part's message; when the broker is away, the part stays QUEUED and is sent again
    once its message is found lost (`lost_messages`), instead of failing the scan."""
    try:
        await publisher.send_part(task_id, key, attempt)
    except Exception:
        log.warning("scan %s part %s: message not sent; it is sent again later", task_id, key)


async def queue_is_empty() -> bool:
    """Whether no scan message of any kind waits in the broker's queue."""
    return not await asyncio.to_thread(messages_waiting)


def lost_messages(task: ScanTask, now: datetime, queue_empty: bool) -> list[tuple[str, PartMark]]:
    """The QUEUED parts whose message is lost: QUEUED longer than LOST_MESSAGE_SECONDS while no
    message waits in the queue (a worker takes a message as soon as it has a free process and
    claims its part at once; a Redis that restarted empty drops them all), or longer than
    TASK_PENDING_RESEND_SECONDS in any case. A copy of a message that was not lost after all
    finds its part RUNNING and does nothing."""
    resend = now - timedelta(seconds=settings.TASK_PENDING_RESEND_SECONDS)
    lost = now - timedelta(seconds=LOST_MESSAGE_SECONDS)
    return [
        (key, mark)
        for key, mark in _parts(task)
        if mark.state is PartState.QUEUED
        and mark.since is not None
        and (as_utc(mark.since) < resend or (queue_empty and as_utc(mark.since) < lost))
    ]


async def send_lost(task: ScanTask, lost: list[tuple[str, PartMark]]) -> int:
    """Send the messages of `lost` parts again, each claimed by moving its `since`, so of two
    processes one sends; how many."""
    sent = 0
    for key, mark in lost:
        path = f"position.parts.{key}"
        claimed = await ScanTask.get_pymongo_collection().update_one(
            {
                "_id": task.id,
                "status": TaskStatus.PROGRESS.value,
                f"{path}.state": PartState.QUEUED.value,
                f"{path}.attempt": mark.attempt,
                f"{path}.since": mark.since,
            },
            {"$set": {f"{path}.since": utcnow()}},
        )
        if claimed.modified_count:
            log.warning("scan %s part %s: its message was lost; sent again", task.id, key)
            await send_part(task.id, key, mark.attempt)
            sent += 1
    return sent


async def resend_lost(task: ScanTask) -> None:
    """After a part ended: send again the messages of QUEUED parts found lost. When no other
    part is RUNNING, nothing else would look before the reaper (a Redis that restarted empty
    took every QUEUED part's message): wait until the youngest QUEUED part could be judged,
    then look once more."""
    for _ in range(2):
        lost = lost_messages(task, utcnow(), await queue_is_empty())
        if lost:
            await send_lost(task, lost)
            return
        marks = [mark for _, mark in _parts(task)]
        queued = [as_utc(m.since) for m in marks if m.state is PartState.QUEUED and m.since]
        if not queued or any(m.state is PartState.RUNNING for m in marks):
            return
        judged = max(queued) + timedelta(seconds=LOST_MESSAGE_SECONDS + 0.5)
        await asyncio.sleep(max(0.0, (judged - utcnow()).total_seconds()))
        stored = await ScanTask.get(task.id)
        if stored is None or stored.status is not TaskStatus.PROGRESS:
            return
        task = stored


def as_utc(moment: datetime) -> datetime:
    """`moment` with its zone: a store client that is not zone-aware gives UTC without one."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def finish_split(task: ScanTask, redis: Redis) -> None:
    """Every part of `task` is read: remember each folder as read, and end the task (SUCCESS
    now, or once its OCR jobs end). Called by the part that ended last, or by the reaper when
    that part's worker was lost on the way; doing it twice changes nothing."""
    account = await EmailAccount.get(PydanticObjectId(task.account_id))
    if account is not None and task.position is not None:
        for key, record in _folders_read(task).items():
            await remember_folder(account.id, key, record)
        await account.set({EmailAccount.last_scan_at: utcnow()})
    stored = await ScanTask.apply_changes(
        task.id,
        reading_done_changes(task),
        only_if={TaskStatus.PROGRESS},
        where={"parts_done": task.parts_total},
    )
    if stored is None:
        return
    await publish_task_state(redis, TaskState.from_document(stored))
    await finish_or_wait(stored, redis)


def _folders_read(task: ScanTask) -> dict[str, FolderSync]:
    """Per folder, what the finished parts read: up to the last UID of its last part."""
    assert task.position is not None
    read: dict[str, FolderSync] = {}
    for _, mark in _parts(task):
        known = read.get(mark.folder_key)
        if known is None or known.last_uid < mark.last_uid:
            read[mark.folder_key] = FolderSync(
                folder=mark.folder,
                uidvalidity=mark.uidvalidity,
                since=task.position.since,
                last_uid=mark.last_uid,
            )
    return read


def _parts(task: ScanTask) -> list[tuple[str, PartMark]]:
    """The task's parts in the order they were split (p0, p1, ...)."""
    if task.position is None:
        return []
    return sorted(task.position.parts.items(), key=lambda item: int(item[0][1:]))
