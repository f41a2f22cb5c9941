"""The scan task: a thin adapter from a task id to the scanner, the store and progress events.

A task runs only from PENDING, so a redelivered message of a task that runs or ran does nothing.
A task the reaper queued again (its worker stopped responding) resumes: it reads on from the
position stored with its counters, and keeps them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime

from beanie import PydanticObjectId
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded

from core.credentials import decrypt_secret
from core.settings import settings
from models import EmailAccount, ScanTask
from models.email_account import FolderSync, utcnow
from models.enums import ScanType, TaskStatus
from scanner.folders import FolderWork, addressed_to, groups_work, inbox_work
from scanner.imap import ImapError, ImapLogin, ImapSession
from scanner.limits import ScanLimits
from scanner.reading import read_batch
from scanner.window import window_start
from tasks import estimates
from tasks.batches import FolderFindings, stored_by
from tasks.cancel_watch import stopped_on_cancel
from tasks.celery_app import app
from tasks.folder_sync import ReadProgress, plan_reading, sync_scope
from tasks.heartbeat import Heartbeat
from tasks.publisher import SCAN_TASK, publisher
from tasks.recorder import TaskNoLongerRunning, TaskRecorder
from tasks.runtime import run, runtime

log = logging.getLogger(__name__)

# Messages read per round of FETCHes: few round trips, bounded memory.
FETCH_BATCH_SIZE = 50
# Under Celery's 25 min soft limit, with time to record the failure.
SCAN_TIME_LIMIT_SECONDS = 24 * 60


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


@asynccontextmanager
async def _imap_session(login: ImapLogin, task: ScanTask) -> AsyncIterator[ImapSession]:
    """An ImapSession opened and closed in a thread (the heartbeat runs on this event loop),
    its connection closed at once when the task is cancelled (tasks/cancel_watch.py)."""
    session = ImapSession(login)
    async with stopped_on_cancel(task.id, task.attempt, runtime().redis, session.abort):
        await asyncio.to_thread(session.__enter__)
        try:
            yield session
        except BaseException:
            # A thread may still wait on the server (the time limit cancelled this coroutine,
            # not the thread): close the connection rather than log out behind it.
            session.abort("stopped")
            raise
        finally:
            await asyncio.to_thread(session.__exit__, None, None, None)


async def _scan(recorder: TaskRecorder) -> None:
    task = recorder.task
    account = await EmailAccount.get(PydanticObjectId(task.account_id))
    if account is None:
        await recorder.finish(TaskStatus.FAILURE, error="The email account was removed")
        return
    scope = sync_scope(task.scan_type, account.group_addresses)
    keep = addressed_to(account.group_addresses) if task.scan_type is ScanType.GROUPS else None
    limits = scan_limits()
    async with _imap_session(_login_for(account), task) as session:
        await recorder.step("Searching mailbox")
        plan, since = await _plan(recorder, session, account, scope)
        for work in plan:
            key = FolderSync.key(scope, work.folder)
            if work.uids:
                await asyncio.to_thread(session.select, work.folder)
            progress = ReadProgress(account, scope, work, since)
            findings = FolderFindings(recorder, key, work.folder, limits)
            for start in range(0, len(work.uids), FETCH_BATCH_SIZE):
                batch = work.uids[start : start + FETCH_BATCH_SIZE]
                messages = await asyncio.to_thread(read_batch, session, batch, limits, keep)
                await findings.add(messages)
                if start + FETCH_BATCH_SIZE >= len(work.uids) or progress.due():
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
        invoices = max(invoices, await stored_by(task))
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


def scan_limits() -> ScanLimits:
    """The limits on one mail, from settings."""
    return ScanLimits(
        max_attachment_bytes=settings.SCAN_MAX_ATTACHMENT_BYTES,
        max_attachments=settings.SCAN_MAX_ATTACHMENTS,
        max_depth=settings.SCAN_MAX_MIME_DEPTH,
        max_pdf_pages=settings.SCAN_MAX_PDF_PAGES,
        max_decompressed_bytes=settings.SCAN_MAX_DECOMPRESSED_BYTES,
        max_pdf_seconds=settings.SCAN_MAX_PDF_SECONDS,
        max_pdf_reader_bytes=settings.SCAN_PDF_READER_MEMORY_MB * 1024 * 1024,
        max_ocr_pages=settings.OCR_MAX_PAGES,
        max_ocr_pixels=settings.OCR_MAX_PIXELS,
        max_ocr_page_seconds=settings.OCR_MAX_PAGE_SECONDS,
        max_ocr_reader_bytes=settings.OCR_READER_MEMORY_MB * 1024 * 1024,
    )


def _login_for(account: EmailAccount) -> ImapLogin:
    return ImapLogin(
        host=account.imap_host,
        port=account.imap_port,
        security=account.security,
        username=account.username,
        password=decrypt_secret(account.password_encrypted) if account.password_encrypted else None,
        oauth2_token=(
            decrypt_secret(account.oauth2_token_encrypted)
            if account.oauth2_token_encrypted
            else None
        ),
        timeout=settings.IMAP_TIMEOUT_SECONDS,
        deadline=settings.IMAP_COMMAND_DEADLINE_SECONDS,
        allow_private_hosts=settings.IMAP_ALLOW_PRIVATE_HOSTS,
    )
