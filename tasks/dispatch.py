"""Start a scan: store the PENDING task, tell subscribers, queue the Celery message."""

from __future__ import annotations

import logging
import uuid

from pymongo.errors import DuplicateKeyError
from redis.asyncio import Redis

from core.errors import Conflict, ServiceUnavailable
from models import EmailAccount, ScanTask
from models.enums import ScanType, TaskStatus
from tasks import estimates
from tasks.lifecycle import end_task
from tasks.progress import TaskState, publish_task_state
from tasks.scan import queue_scan

log = logging.getLogger(__name__)


async def start_scan(
    account: EmailAccount, scan_type: ScanType, months: int, redis: Redis
) -> ScanTask:
    """Create and queue a scan of `account`.

    MongoDB's unique index on active tasks decides a race between two starts; the loser gets
    Conflict naming the running task. The estimate comes from the pace of the account's recent
    scans, stored on the account: no read of its task history on this path.
    """
    task = ScanTask(
        id=str(uuid.uuid4()),
        account_id=str(account.id),
        user_id=account.user_id,
        scan_type=scan_type,
        months=months,
        estimated_duration_seconds=estimates.at_start(account.recent_pace, months),
    )
    try:
        await task.insert()
    except DuplicateKeyError:
        running = await ScanTask.find_one(
            ScanTask.account_id == str(account.id),
            ScanTask.active == True,  # noqa: E712
        )
        raise Conflict(
            "A scan of this account is already pending or running",
            taskId=running.id if running else None,
        ) from None
    try:
        await queue_scan(task.id)
    except Exception as exc:
        log.exception("could not queue scan %s", task.id)
        await end_task(task, TaskStatus.FAILURE, redis, error="Could not queue the scan")
        raise ServiceUnavailable("The task queue is unavailable; try again shortly") from exc
    await publish_task_state(redis, TaskState.from_document(task))
    return task
