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
from models.email_account import utcnow
from models.enums import ScanType, TaskStatus
from scanner.folders import groups_work, inbox_work
from scanner.imap import FETCH_BATCH_SIZE, FetchedMessage, ImapError, ImapLogin, ImapSession
from scanner.invoices import find_invoices
from scanner.messages import UnreadableMessage, parse_message
from scanner.window import window_start
from tasks.celery_app import app
from tasks.recorder import TaskNoLongerRunning, TaskRecorder
from tasks.runtime import run, runtime

log = logging.getLogger(__name__)

DUPLICATE_KEY = 11000
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
    with ImapSession(_login_for(account)) as session:
        await recorder.step("Searching mailbox")
        if task.scan_type is ScanType.GROUPS:
            plan = await asyncio.to_thread(groups_work, session, since, account.group_addresses)
        else:
            plan = await asyncio.to_thread(inbox_work, session, since)
        await recorder.step("Processing emails", emails_total=sum(len(w.uids) for w in plan))
        for work in plan:
            for start in range(0, len(work.uids), FETCH_BATCH_SIZE):
                batch = work.uids[start : start + FETCH_BATCH_SIZE]
                messages = await asyncio.to_thread(session.fetch_batch, work.folder, batch)
                await _record_batch(task, work.folder, messages, recorder)
    await account.set({EmailAccount.last_scan_at: utcnow()})
    await recorder.finish(TaskStatus.SUCCESS)


async def _record_batch(
    task: ScanTask,
    folder: str,
    messages: list[FetchedMessage],
    recorder: TaskRecorder,
) -> None:
    # One insert per batch, not per message: the store is shared with the API and other scans.
    found: list[list[Invoice] | None] = []
    for fetched in messages:
        try:
            found.append(_invoices_of(task, folder, fetched))
        except UnreadableMessage as exc:
            log.info("scan %s: uid %s unreadable: %s", task.id, fetched.uid, exc)
            found.append(None)
        except Exception:  # a parser bug on one hostile mail must not end the scan
            log.exception("scan %s: uid %s in %s could not be read", task.id, fetched.uid, folder)
            found.append(None)
    await _store_new([invoice for invoices in found if invoices for invoice in invoices])
    for fetched, invoices in zip(messages, found, strict=True):
        await recorder.message_done(
            invoices=len(invoices or ()), failed=invoices is None, bytes_fetched=len(fetched.raw)
        )


def _invoices_of(task: ScanTask, folder: str, fetched: FetchedMessage) -> list[Invoice]:
    message = parse_message(fetched.raw)
    received = fetched.internal_date or message.sent_at or utcnow()
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
            total_amount=found.total_amount,
            currency=found.currency,
            source=found.source,
            attachment_name=found.attachment_name,
        )
        for found in find_invoices(message)
    ]


async def _store_new(invoices: list[Invoice]) -> None:
    """Insert the invoices not stored yet; one already stored for the account is left as it is."""
    if not invoices:
        return
    try:
        await Invoice.insert_many(invoices, ordered=False)
    except BulkWriteError as exc:
        if any(error.get("code") != DUPLICATE_KEY for error in exc.details.get("writeErrors", [])):
            raise


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
