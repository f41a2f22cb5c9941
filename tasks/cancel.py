"""Cancelling scans: cooperative. The stored status flips to CANCELLED at once; the worker notices
at its next write (about once a second while it scans) and stops, keeping what it stored."""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis

from models import OcrJob, ScanTask
from models.enums import ACTIVE_STATUSES, TaskStatus
from tasks.celery_app import app
from tasks.lifecycle import end_task

log = logging.getLogger(__name__)


async def cancel_task(task: ScanTask, redis: Redis) -> ScanTask:
    """Cancel `task` if it is PENDING or PROGRESS; a finished task is returned as it is."""
    return await _cancel(task, redis) or await ScanTask.get(task.id) or task


async def _cancel(task: ScanTask, redis: Redis) -> ScanTask | None:
    """The cancelled task, or None when it had already finished."""
    stored = await end_task(task, TaskStatus.CANCELLED, redis)
    if stored is None:
        return None
    # Its queued OCR work stops: a job's message then finds no job, and a job being read
    # finds its job gone before it stores anything (tasks/ocr.py).
    await OcrJob.get_pymongo_collection().delete_many({"task_id": task.id})
    # A revoke without terminate: a worker that has not started the message drops it. Killing a
    # pool process (terminate=True) is not for programmatic use; the status flag stops it instead.
    try:
        await asyncio.to_thread(app.control.revoke, task.id)
    except Exception:  # the status already says CANCELLED, which is what the worker obeys
        log.warning("revoke of %s failed", task.id, exc_info=True)
    return stored


async def cancel_active_tasks(account_id: str | None, redis: Redis) -> int:
    """Cancel every PENDING or PROGRESS task (of one account, when given); how many."""
    query = ScanTask.find({"status": {"$in": [status.value for status in ACTIVE_STATUSES]}})
    if account_id is not None:
        query = query.find(ScanTask.account_id == account_id)
    results = [await _cancel(task, redis) for task in await query.to_list()]
    return sum(result is not None for result in results)
