"""The scan task: a thin adapter from a task id to the scanner, the store and progress events."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from beanie import PydanticObjectId
from celery.exceptions import SoftTimeLimitExceeded
from pymongo.errors import BulkWriteError

from core.credentials import decrypt_secret
from core.settings import settings
from models import EmailAccount, Invoice, ScanTask
from models.email_account import FolderSync, utcnow
from models.enums import ScanType, TaskStatus
from scanner.folders import addressed_to, groups_work, inbox_work
from scanner.imap import ImapError, ImapLogin, ImapSession
from scanner.invoices import find_invoices
from scanner.limits import ScanLimits
from scanner.reading import ReadMessage, read_batch
from scanner.window import window_start
from tasks.celery_app import app
from tasks.folder_sync import remember_read, sync_scope, unread
from tasks.recorder import TaskNoLongerRunning, TaskRecorder
from tasks.runtime import run, runtime

log = logging.getLogger(__name__)

DUPLICATE_KEY = 11000
# Messages read per round of FETCHes: few round trips, bounded memory.
FETCH_BATCH_SIZE = 50
# Under Celery's 25 min soft limit, with time to record the failure.
SCAN_TIME_LIMIT_SECONDS = 24 * 60


@app.task(name="scans.scan_mailbox")
def scan_mailbox(task_id: str) -> None:
    """Scan the mailbox of the ScanTask `task_id` (its id is also this Celery task's id)."""
    run(scan_task(task_id))


async def scan_task(task_id: str) -> None:
    """Run the stored task `task_id` if it is still PENDING; otherwise do nothing (a cancelled
    task, or a redelivered message of a task that already ran)."""
    task = await ScanTask.get(task_id)
    if task is None or task.status is not TaskStatus.PENDING:
        log.info("scan %s: nothing to do (status %s)", task_id, task and task.status)
        return
    recorder = TaskRecorder(task, runtime().redis)
    if not await recorder.start():
        return
    try:
        # Celery's soft limit arrives as a signal while the loop waits on a thread, so it cannot
        # reach this coroutine; the same limit, a little earlier, is enforced here instead.
        async with asyncio.timeout(SCAN_TIME_LIMIT_SECONDS):
            await _scan(task, recorder)
    except TaskNoLongerRunning:
        log.info("scan %s stopped: the task left PROGRESS", task_id)
    except ImapError as exc:
        await recorder.finish(TaskStatus.FAILURE, error=str(exc))
    except (TimeoutError, SoftTimeLimitExceeded):
        await recorder.finish(TaskStatus.FAILURE, error="The scan exceeded its time limit")
    except Exception:
        log.exception("scan %s failed", task_id)
        await recorder.finish(TaskStatus.FAILURE, error="Internal error while scanning")


async def _scan(task: ScanTask, recorder: TaskRecorder) -> None:
    account = await EmailAccount.get(PydanticObjectId(task.account_id))
    if account is None:
        await recorder.finish(TaskStatus.FAILURE, error="The email account was removed")
        return
    since = window_start(task.months, datetime.now(UTC).date())
    scope = sync_scope(task.scan_type, account.group_addresses)
    groups = task.scan_type is ScanType.GROUPS
    keep = addressed_to(account.group_addresses) if groups else None
    limits = scan_limits()
    with ImapSession(_login_for(account)) as session:
        await recorder.step("Searching mailbox")
        if groups:
            plan = await asyncio.to_thread(groups_work, session, since, account.group_addresses)
        else:
            plan = await asyncio.to_thread(inbox_work, session, since)
        plan = [
            unread(work, since, account.folder_sync.get(FolderSync.key(scope, work.folder)))
            for work in plan
        ]
        await recorder.step("Processing emails", emails_total=sum(len(w.uids) for w in plan))
        for work in plan:
            if work.uids:
                await asyncio.to_thread(session.select, work.folder)
            for start in range(0, len(work.uids), FETCH_BATCH_SIZE):
                batch = work.uids[start : start + FETCH_BATCH_SIZE]
                messages = await asyncio.to_thread(read_batch, session, batch, limits, keep)
                await _record_batch(task, work.folder, messages, recorder, limits)
                await remember_read(account, scope, work, since, batch[-1])
    await account.set({EmailAccount.last_scan_at: utcnow()})
    await recorder.finish(TaskStatus.SUCCESS)


def scan_limits() -> ScanLimits:
    """The limits on one mail, from settings."""
    return ScanLimits(
        max_attachment_bytes=settings.SCAN_MAX_ATTACHMENT_BYTES,
        max_attachments=settings.SCAN_MAX_ATTACHMENTS,
        max_depth=settings.SCAN_MAX_MIME_DEPTH,
        max_pdf_pages=settings.SCAN_MAX_PDF_PAGES,
        max_decompressed_bytes=settings.SCAN_MAX_DECOMPRESSED_BYTES,
    )


async def _record_batch(
    task: ScanTask,
    folder: str,
    messages: list[ReadMessage],
    recorder: TaskRecorder,
    limits: ScanLimits,
) -> None:
    # One insert per batch, not per message: the store is shared with the API and other scans.
    found: list[list[Invoice] | None] = []
    for read in messages:
        try:
            found.append(_invoices_of(task, folder, read, limits))
        except Exception:  # a parser bug on one hostile mail must not end the scan
            log.exception("scan %s: uid %s in %s could not be read", task.id, read.uid, folder)
            found.append(None)
    stored = await _store_new([invoice for invoices in found if invoices for invoice in invoices])
    for read, invoices in zip(messages, found, strict=True):
        await recorder.message_done(
            invoices=sum(invoice.id in stored for invoice in invoices or ()),
            failed=invoices is None,
            bytes_fetched=read.bytes_fetched,
        )


def _invoices_of(
    task: ScanTask, folder: str, read: ReadMessage, limits: ScanLimits
) -> list[Invoice] | None:
    """The invoices of one message; None when it could not be read (counted in errorCount)."""
    if read.error is not None:
        log.info("scan %s: uid %s in %s unreadable: %s", task.id, read.uid, folder, read.error)
        return None
    message = read.parsed
    if message is None:  # left out after its headers (not addressed to a group address)
        return []
    findings = find_invoices(message, limits)
    if findings.unreadable:
        log.info("scan %s: uid %s in %s: %s", task.id, read.uid, folder, findings.unreadable)
        return None
    received = read.internal_date or message.sent_at or utcnow()
    return [
        Invoice.new(
            account_id=task.account_id,
            user_id=task.user_id,
            task_id=task.id,
            message_id=message.message_id,
            part_key=found.part_key,
            folder=folder,
            subject=message.subject,
            sender=message.sender,
            received_at=received,
            vendor=found.vendor,
            invoice_number=found.invoice_number,
            issue_date=found.issue_date,
            due_date=found.due_date,
            total_amount=found.total_amount,
            currency=found.currency,
            source=found.source,
            attachment_name=found.attachment_name,
        )
        for found in findings.invoices
    ]


async def _store_new(invoices: list[Invoice]) -> set[str]:
    """Insert the invoices not stored yet and return their ids; one already stored for the
    account (by an earlier scan, or a second copy of the same mail) is left as it is."""
    if not invoices:
        return set()
    try:
        await Invoice.insert_many(invoices, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(error.get("code") != DUPLICATE_KEY for error in errors):
            raise
        refused = {error["index"] for error in errors}
        return {invoice.id for index, invoice in enumerate(invoices) if index not in refused}
    return {invoice.id for invoice in invoices}


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
        allow_private_hosts=settings.IMAP_ALLOW_PRIVATE_HOSTS,
    )
