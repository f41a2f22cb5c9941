"""How a scan with OCR jobs ends: progress, the waiting step, and exactly one SUCCESS.

The scan counts its messages; each scanned document it finds becomes an OCR job (tasks/ocr.py)
and adds one to `ocr_total` and `ocr_pending`. OCR runs change only `$inc` counters, so the scan's
writes and theirs never overwrite each other. When the scan has read every message it sets
`reading_done`; whichever comes last, that write or the decrement of the last job, sees both
`reading_done` and `ocr_pending` 0 and ends the task. The ending write itself is conditional
(PROGRESS, `reading_done`, `ocr_pending` 0), so when both see it at once, one of them ends it.
"""

from __future__ import annotations

import logging
from typing import Any

from beanie import PydanticObjectId
from redis.asyncio import Redis

from core.settings import settings
from models import EmailAccount, Invoice, ScanTask
from models.email_account import utcnow
from models.enums import TaskStatus
from tasks import estimates
from tasks.lifecycle import terminal_changes
from tasks.progress import TaskState, publish_task_state

log = logging.getLogger(__name__)

# One scanned document weighs as much in the progress as this many messages: OCR of a page
# takes seconds, reading a message milliseconds.
OCR_PROGRESS_WEIGHT = 10
# The seconds an OCR job is expected to take before any of the task's jobs finished.
OCR_PRIOR_SECONDS = 10.0


def overall_progress(task: ScanTask, uncounted: int = 0) -> int:
    """Percent of the task's work done, messages and OCR jobs together; never less than what
    was stored, and 100 only for SUCCESS."""
    total = (task.emails_total or 0) + OCR_PROGRESS_WEIGHT * task.ocr_total
    if not total:
        return task.progress
    done = task.emails_scanned + uncounted + OCR_PROGRESS_WEIGHT * task.ocr_done
    return max(task.progress, min(99, done * 100 // total))


def reading_done_changes(task: ScanTask) -> dict[str, Any]:
    """What a task gets when every message is read: `reading_done`, and while OCR jobs remain
    (as last known: they only lower the count, and finish_or_wait writes it now), the waiting
    step with its estimate, so no event shows the wait without one."""
    changes: dict[str, Any] = {"reading_done": True}
    if task.ocr_pending > 0:
        changes["current_status"] = waiting_step(task.ocr_pending)
        changes["estimated_duration_seconds"] = ocr_estimate(task)
    return changes


async def invoices_stored_by(task: ScanTask) -> int:
    """How many invoices `task` stored (its messages' and its OCR jobs'). A run lost after
    storing invoices of messages it had not counted yet leaves them uncounted: read again,
    they are refused as duplicates. The count is what a resumed task starts from and what a
    finished one ends with."""
    return await Invoice.find(
        Invoice.account_id == task.account_id, Invoice.task_id == task.id
    ).count()


def waiting_step(pending: int) -> str:
    """The current step while only OCR jobs remain."""
    return f"Reading {pending} scanned document{'' if pending == 1 else 's'}"


def ocr_estimate(task: ScanTask) -> float | None:
    """The task's total duration: elapsed plus its pending jobs at their mean time so far, spread
    over the OCR worker's processes."""
    if task.started_at is None:
        return task.estimated_duration_seconds
    mean = task.ocr_seconds / task.ocr_done if task.ocr_done else OCR_PRIOR_SECONDS
    elapsed = (utcnow() - task.started_at).total_seconds()
    left = max(task.ocr_pending, 0) * mean / settings.OCR_WORKER_CONCURRENCY
    return round(elapsed + left, 1)


async def finish_or_wait(task: ScanTask, redis: Redis) -> ScanTask | None:
    """After a change of `task` (as stored) once it read every message: end it SUCCESS when no
    OCR job remains, else record the waiting step. None when nothing was written (another
    process ended it or wrote a newer step)."""
    if not task.reading_done or task.status is not TaskStatus.PROGRESS:
        return None
    if task.ocr_pending <= 0:
        return await _finish(task, redis)
    stored = await ScanTask.apply_changes(
        task.id,
        {
            "current_status": waiting_step(task.ocr_pending),
            "progress": overall_progress(task),
            "estimated_duration_seconds": ocr_estimate(task),
        },
        only_if={TaskStatus.PROGRESS},
        # A later change wrote (or will write) a newer step.
        where={"ocr_pending": task.ocr_pending, "ocr_done": task.ocr_done},
    )
    if stored is not None:
        await publish_task_state(redis, TaskState.from_document(stored))
    return stored


async def _finish(task: ScanTask, redis: Redis) -> ScanTask | None:
    changes = terminal_changes(TaskStatus.SUCCESS, task.started_at)
    changes["progress"] = 100
    # Exact at the end: every message read and every OCR job ended, nothing stores any more.
    changes["invoices_found"] = await invoices_stored_by(task)
    stored = await ScanTask.apply_changes(
        task.id,
        changes,
        only_if={TaskStatus.PROGRESS},
        where={"reading_done": True, "ocr_pending": {"$lte": 0}},
    )
    if stored is None:
        return None
    await publish_task_state(redis, TaskState.from_document(stored))
    account = await EmailAccount.get(PydanticObjectId(task.account_id))
    if account is not None:
        await estimates.remember_pace(account)
    return stored
