"""Beat's reaper for split scans (tasks/parts.py): a RUNNING part whose beat stopped lost its
worker and is queued again in its next attempt, to read on from its own mark (after
TASK_MAX_ATTEMPTS lost runs the scan fails); a QUEUED part whose message was lost gets it
again; parts a lost worker did not hand out are handed out;
and a scan whose parts are all read but which its last part's worker did not end is ended.
Every change is claimed by a filter on the state it changes, so of two reapers, or a reaper and
a late worker, one wins."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis.asyncio import Redis

from core.settings import settings
from models import ScanTask
from models.email_account import utcnow
from models.enums import TaskStatus
from models.scan_task import PartMark, PartState
from tasks.lifecycle import terminal_changes
from tasks.parts import (
    as_utc,
    finish_split,
    hand_out,
    lost_messages,
    queue_is_empty,
    send_lost,
    send_part,
)
from tasks.progress import TaskState, publish_task_state

log = logging.getLogger(__name__)


def parts_lost(attempts: int) -> str:
    """The error of a scan one of whose parts lost its worker `attempts` times."""
    return f"The worker reading part of this scan stopped responding {attempts} times"


async def reap_parts(now: datetime, redis: Redis) -> int:
    """Recover every split scan in PROGRESS; how many parts were queued or sent again, or
    scans ended."""
    lost = now - timedelta(seconds=settings.TASK_HEARTBEAT_TIMEOUT_SECONDS)
    split = await ScanTask.find(
        {
            "status": TaskStatus.PROGRESS.value,
            "parts_total": {"$gt": 0},
            "reading_done": {"$ne": True},
        }
    ).to_list()
    if not split:
        return 0
    queue_empty = await queue_is_empty()
    recovered = 0
    for task in split:
        recovered += await _recover(task, now, lost, queue_empty, redis)
    return recovered


async def _recover(
    task: ScanTask, now: datetime, lost: datetime, queue_empty: bool, redis: Redis
) -> int:
    assert task.position is not None
    recovered = 0
    for key, mark in task.position.parts.items():
        since = mark.since
        if since is None:
            continue
        if mark.state is PartState.RUNNING and _before(since, lost):
            if not await _take_back(task, key, mark, lost, redis):
                return recovered  # the scan ended
            recovered += 1
    recovered += await send_lost(task, lost_messages(task, now, queue_empty))
    if task.parts_done >= task.parts_total and _before(task.heartbeat_at, lost):
        log.warning("scan %s: every part read, but not ended; ending it", task.id)
        await finish_split(task, redis)
        return recovered + 1
    return recovered + await hand_out(task)


async def _take_back(
    task: ScanTask, key: str, mark: PartMark, lost: datetime, redis: Redis
) -> bool:
    """Queue the part again in its next attempt, or fail the scan after its last; False when
    the scan ended."""
    path = f"position.parts.{key}"
    stale = {
        f"{path}.state": PartState.RUNNING.value,
        f"{path}.attempt": mark.attempt,
        f"{path}.since": {"$lt": lost},
    }
    log.warning("scan %s part %s: worker %s stopped responding", task.id, key, mark.worker)
    if mark.attempt >= settings.TASK_MAX_ATTEMPTS:
        changes = terminal_changes(
            TaskStatus.FAILURE, task.started_at, error=parts_lost(mark.attempt)
        )
        stored = await ScanTask.apply_changes(
            task.id, changes, only_if={TaskStatus.PROGRESS}, where=stale
        )
        if stored is not None:
            await publish_task_state(redis, TaskState.from_document(stored))
        return False
    taken = await ScanTask.get_pymongo_collection().update_one(
        {"_id": task.id, "status": TaskStatus.PROGRESS.value, **stale},
        {
            "$set": {
                f"{path}.state": PartState.QUEUED.value,
                f"{path}.attempt": mark.attempt + 1,
                f"{path}.since": utcnow(),
                f"{path}.worker": None,
            }
        },
    )
    if taken.modified_count:
        await send_part(task.id, key, mark.attempt + 1)
    return True


def _before(moment: datetime | None, cutoff: datetime) -> bool:
    return moment is not None and as_utc(moment) < cutoff
