"""Beat's reaper: a PROGRESS task whose heartbeat stopped lost its worker (killed, its machine
gone). It goes back to PENDING and into the queue under the same id, to resume where its
counters stand; after TASK_MAX_ATTEMPTS lost runs it ends FAILURE instead."""

from __future__ import annotations

import asyncio
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
from tasks.progress import TaskState, publish_task_state
from tasks.runtime import run, runtime
from tasks.scan import scan_mailbox

log = logging.getLogger(__name__)


def stopped_responding(attempts: int) -> str:
    """The error of a task whose workers were lost `attempts` times."""
    return f"The worker running this scan stopped responding {attempts} times"


@app.task(name="scans.reap_stale_tasks")
def reap_stale_tasks_task() -> int:
    """Beat's entry point: take back every stale task; how many."""
    return run(reap_stale_tasks(runtime().redis))


async def reap_stale_tasks(redis: Redis, now: datetime | None = None) -> int:
    """Take back every PROGRESS task whose heartbeat is older than the timeout; how many."""
    cutoff = (now or utcnow()) - timedelta(seconds=settings.TASK_HEARTBEAT_TIMEOUT_SECONDS)
    stale = await ScanTask.find(
        {"status": TaskStatus.PROGRESS.value, "heartbeat_at": {"$lt": cutoff}}
    ).to_list()
    taken = [await take_back(task, cutoff, redis) for task in stale]
    return sum(taken)


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
        await asyncio.to_thread(scan_mailbox.apply_async, args=[task.id], task_id=task.id)
    except Exception:
        log.exception("could not queue scan %s again", task.id)
        await end_task(task, TaskStatus.FAILURE, redis, error="Could not queue the scan again")
