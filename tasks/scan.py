"""The scan task: a thin adapter from a task id to the scanner, the store and progress events.

A task runs only from PENDING, so a redelivered message of a task that runs or ran does nothing.
A task the reaper queued again (its worker stopped responding) resumes: it reads on from the
position stored with its counters, and keeps them.

A scan with more messages to read than SCAN_PART_MESSAGES is split once its mailbox is searched:
its parts run as tasks of their own on every scan worker (tasks/parts.py), and this task ends
there. A smaller scan is read here, in one go, with no extra hop through the queue.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime

from beanie import PydanticObjectId
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded

from core.settings import settings
from models import EmailAccount, ScanTask
from models.email_account import FolderSync, utcnow
from models.enums import ScanType, TaskStatus
from scanner.folders import FolderWork, addressed_to, groups_work, inbox_work
from scanner.imap import ImapError, ImapSession
from scanner.window import window_start
from tasks import estimates
from tasks.batches import FolderFindings
from tasks.celery_app import app
from tasks.folder_sync import ReadProgress, plan_reading, sync_scope
from tasks.heartbeat import Heartbeat
from tasks.mailbox import (
    FETCH_BATCH_SIZE,
    SCAN_TIME_LIMIT_SECONDS,
    imap_session,
    login_for,
    scan_limits,
)
from tasks.ocr_accounting import invoices_stored_by
from tasks.parts import split_scan
from tasks.publisher import SCAN_TASK, publisher
from tasks.read_ahead import ReadAhead
from tasks.recorder import TaskNoLongerRunning, TaskRecorder
from tasks.runtime import run, runtime

log = logging.getLogger(__name__)


@app.task(name=SCAN_TASK, bind=True)
def scan_mailbox(self: Task, task_id: str) -> None:
    """Scan the mailbox of the ScanTask `task_id` (its id is also this Celery task's id)."""
    run(scan_task(task_id, worker=self.request.hostname))


async def queue_scan(task_id: str) -> None:
    """Send the Celery message of the ScanTask `task_id`, under the same id."""
    await publisher.send(task_id)


async def scan_task(task_id: str, *, worker: str | None = None) -> None:
    """Run the stored task `task_id` if it is still PENDING; otherwise do nothing (a cancelled
    task, or a redelivered message of a task that runs or already ran)."""
    task = await ScanTask.get(task_id)
    if task is None or task.status is not TaskStatus.PENDING:
        log.info("scan %s: nothing to do (status %s)", task_id, task and task.status)
        return
    recorder = TaskRecorder(task, runtime().redis, worker=worker)
    if not await recorder.start():
        return
    try:
        # Celery's soft limit arrives as a signal while the loop waits on a thread, so it cannot
        # reach this coroutine; the same limit, a little earlier, is enforced here instead.
        async with Heartbeat(task_id, recorder.task.attempt):
            async with asyncio.timeout(SCAN_TIME_LIMIT_SECONDS):
                await _scan(recorder)
    except TaskNoLongerRunning:
        log.info("scan %s stopped: the task left PROGRESS", task_id)
    except ImapError as exc:
        await _fail(recorder, str(exc))
    except (TimeoutError, SoftTimeLimitExceeded):
        await _fail(recorder, "The scan exceeded its time limit")
    except Exception:
        log.exception("scan %s failed", task_id)
        await _fail(recorder, "Internal error while scanning")


async def _fail(recorder: TaskRecorder, error: str) -> None:
    """End the task FAILURE, unless it already left PROGRESS: cancelled, taken back by the
    reaper, or ended SUCCESS before a later step (the stored pace) raised."""
    try:
        await recorder.finish(TaskStatus.FAILURE, error=error)
    except TaskNoLongerRunning:
        log.info("scan %s: already out of PROGRESS, not failed with %r", recorder.task.id, error)


async def _scan(recorder: TaskRecorder) -> None:
    task = recorder.task
    account = await EmailAccount.get(PydanticObjectId(task.account_id))
    if account is None:
        await recorder.finish(TaskStatus.FAILURE, error="The email account was removed")
        return
    scope = sync_scope(task.scan_type, account.group_addresses)
    keep = addressed_to(account.group_addresses) if task.scan_type is ScanType.GROUPS else None
    limits = scan_limits()
    async with imap_session(login_for(account), task) as session:
        await recorder.step("Searching mailbox")
        plan, since = await _plan(recorder, session, account, scope)
        if sum(len(work.uids) for work in plan) > settings.SCAN_PART_MESSAGES:
            # Its parts read the rest; the last of them ends the task.
            await split_scan(recorder, plan, scope)
            return
        for work in plan:
            key = FolderSync.key(scope, work.folder)
            if work.uids:
                await asyncio.to_thread(session.select, work.folder)
            progress = ReadProgress(account, scope, work, since)
            findings = FolderFindings(recorder, key, work.folder, limits)
            async with ReadAhead(session, work.uids, FETCH_BATCH_SIZE, limits, keep) as reader:
                async for batch, messages in reader:
                    await findings.add(messages)
                    if batch[-1] == work.uids[-1] or progress.due():
                        await findings.settle()
                        await progress.remember(batch[-1])
    await account.set({EmailAccount.last_scan_at: utcnow()})
    # SUCCESS now, or when the last of its OCR jobs ends (which remembers the pace then).
    await recorder.finish_reading()


async def _plan(
    recorder: TaskRecorder, session: ImapSession, account: EmailAccount, scope: str
) -> tuple[list[FolderWork], date]:
    """Search the window, leave out what was read, and record what is left (with an estimate).
    A resumed task keeps its window, even when the calendar moved on meanwhile, and counts the
    invoices its lost runs stored."""
    task = recorder.task
    since = task.position.since if task.position else window_start(task.months, _today())
    found = await asyncio.to_thread(_search, session, task, account, since)
    plan, position = plan_reading(found, scope, account.folder_sync, task.position, since)
    remaining = sum(len(work.uids) for work in plan)
    elapsed = (utcnow() - task.started_at).total_seconds() if task.started_at else 0.0
    invoices = task.invoices_found
    if recorder.resuming:
        invoices = max(invoices, await invoices_stored_by(task))
    await recorder.planned(
        remaining,
        position,
        estimate=estimates.when_planned(account.recent_pace, elapsed, remaining),
        invoices_found=invoices,
    )
    return plan, since


def _today() -> date:
    return datetime.now(UTC).date()


def _search(
    session: ImapSession, task: ScanTask, account: EmailAccount, since: date
) -> list[FolderWork]:
    if task.scan_type is ScanType.GROUPS:
        return groups_work(session, since, account.group_addresses)
    return inbox_work(session, since)
