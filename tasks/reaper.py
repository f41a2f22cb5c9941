"""Beat's reaper: a PROGRESS task whose heartbeat stopped lost its worker (killed, its machine
gone). It goes back to PENDING and into the queue under the same id, to resume where its
counters stand; after TASK_MAX_ATTEMPTS lost runs it ends FAILURE instead. Lost OCR jobs are
recovered the same way (tasks/ocr_reaper.py), and the parts of a split scan
(tasks/part_reaper.py). A task PENDING for
too long gets its message sent again (see resend_waiting)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from core.settings import settings
from models import ScanTask
from models.email_account import utcnow
from models.enums import TaskStatus
from models.scan_task import attempt_is
from tasks.celery_app import app
from tasks.lifecycle import end_task, terminal_changes
from tasks.ocr_accounting import finish_or_wait
from tasks.ocr_reaper import reap_stale_ocr_jobs
from tasks.part_reaper import reap_parts
from tasks.progress import TaskState, publish_task_state
from tasks.runtime import run, runtime
from tasks.scan import queue_scan

log = logging.getLogger(__name__)


def stopped_responding(attempts: int) -> str:
    """The error of a task whose workers were lost `attempts` times."""
    return f"The worker running this scan stopped responding {attempts} times"


@app.task(name="scans.reap_stale_tasks")
def reap_stale_tasks_task() -> int:
    """Beat's entry point: take back every stale task; how many."""
    return run(reap_stale_tasks(runtime().redis))


async def reap_stale_tasks(redis: Redis, now: datetime | None = None) -> int:
    """Take back every PROGRESS task whose heartbeat is older than the timeout, and send again
    the message of every task PENDING for too long; how many tasks in all."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=settings.TASK_HEARTBEAT_TIMEOUT_SECONDS)
    stale = await ScanTask.find(
        {
            "status": TaskStatus.PROGRESS.value,
            "heartbeat_at": {"$lt": cutoff},
            # A task that read every message waits for its OCR jobs, which have no heartbeat:
            # those are recovered one by one instead.
            "reading_done": {"$ne": True},
            # A split scan's parts are recovered one by one (tasks/part_reaper.py).
            "parts_total": {"$in": [0, None]},
        }
    ).to_list()
    taken = [await take_back(task, cutoff, redis) for task in stale]
    recovered = await reap_parts(now, redis) + await end_unended(cutoff, redis)
    return sum(taken) + recovered + await resend_waiting(now) + await reap_stale_ocr_jobs(now)


async def end_unended(cutoff: datetime, redis: Redis) -> int:
    """End the tasks that read every message and have no OCR job left, but were not ended:
    the process that would have ended them was lost between the two writes. How many."""
    unended = await ScanTask.find(
        {
            "status": TaskStatus.PROGRESS.value,
            "reading_done": True,
            "ocr_pending": {"$lte": 0},
            "heartbeat_at": {"$lt": cutoff},
        }
    ).to_list()
    ended = 0
    for task in unended:
        log.warning("scan %s: every message read, but not ended; ending it", task.id)
        ended += await finish_or_wait(task, redis) is not None
    return ended


async def resend_waiting(now: datetime) -> int:
    """Send again the Celery message of every task PENDING since before
    TASK_PENDING_RESEND_SECONDS; how many. Its message may be lost (Redis restarted without its
    data, or the API stopped between storing the task and sending it), and the task would then
    hold its account's one active slot for ever. If the message was only slow, the copy finds
    the task running or ended and does nothing. Each send is claimed by moving `queued_at` to now
    in the same filter, so of two reapers one sends."""
    cutoff = now - timedelta(seconds=settings.TASK_PENDING_RESEND_SECONDS)
    long_waiting = {
        "status": TaskStatus.PENDING.value,
        "created_at": {"$lt": cutoff},
        # Tasks stored before queued_at existed have none.
        "$or": [{"queued_at": {"$lt": cutoff}}, {"queued_at": None}],
    }
    waiting = await ScanTask.find(long_waiting).to_list()
    resent = 0
    for task in waiting:
        claimed = await ScanTask.get_pymongo_collection().update_one(
            {**long_waiting, "_id": task.id}, {"$set": {"queued_at": now}}
        )
        if claimed.modified_count:
            log.warning(
                "scan %s: PENDING since %s; its message is sent again", task.id, task.queued_at
            )
            await queue_scan(task.id)
            resent += 1
    return resent


async def take_back(task: ScanTask, cutoff: datetime, redis: Redis) -> bool:
    """Queue `task` again, or fail it after its last attempt; False when it was not stale any
    more. The filter is what makes it safe: only while the task is still PROGRESS in the same
    attempt with a heartbeat older than `cutoff` does the change happen, so of two reapers, or a
    reaper and a late heartbeat, exactly one wins."""
    stale = {"attempt": attempt_is(task.attempt), "heartbeat_at": {"$lt": cutoff}}
    changes: dict[str, Any]
    if task.attempt >= settings.TASK_MAX_ATTEMPTS:
        error = stopped_responding(task.attempt)
        changes = terminal_changes(TaskStatus.FAILURE, task.started_at, error=error)
    else:
        changes = {
            "status": TaskStatus.PENDING,
            "current_status": "Queued again: the worker stopped responding",
            "attempt": task.attempt + 1,
            "worker": None,
            "worker_pid": None,
            "queued_at": utcnow(),
        }
    stored = await ScanTask.apply_changes(
        task.id, changes, only_if={TaskStatus.PROGRESS}, where=stale
    )
    if stored is None:
        return False
    log.warning("scan %s: worker %s stopped responding", task.id, task.worker)
    await publish_task_state(redis, TaskState.from_document(stored))
    if stored.status is TaskStatus.PENDING:
        await _queue_again(stored, redis)
    return True


async def _queue_again(task: ScanTask, redis: Redis) -> None:
    try:
        # The same id: the task's document is the one the new run finds and resumes.
        await queue_scan(task.id)
    except Exception:
        log.exception("could not queue scan %s again", task.id)
        await end_task(task, TaskStatus.FAILURE, redis, error="Could not queue the scan again")
