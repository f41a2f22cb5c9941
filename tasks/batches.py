"""One batch of read messages: find their invoices (in a thread: PDF parsing is CPU work that
must not stall the worker's event loop and its heartbeat), store the new ones, count each
message."""

from __future__ import annotations

import asyncio
import logging

from beanie import PydanticObjectId
from beanie.operators import In
from pymongo.errors import BulkWriteError

from models import EmailAccount, Invoice, ScanTask
from models.email_account import utcnow
from scanner.invoices import find_invoices
from scanner.limits import ScanLimits
from scanner.reading import ReadMessage
from tasks.recorder import TaskNoLongerRunning, TaskRecorder

log = logging.getLogger(__name__)

DUPLICATE_KEY = 11000
# Messages whose invoices are found in one go (in a thread): progress can move, and a cancel be
# seen, while a batch of large PDFs is still being read.
FIND_CHUNK = 10


async def record_batch(
    recorder: TaskRecorder,
    folder_key: str,
    folder: str,
    messages: list[ReadMessage],
    limits: ScanLimits,
) -> None:
    """Find the invoices of `messages` (read from `folder`, ascending UIDs) FIND_CHUNK messages
    at a time; store the new ones and count their messages when the recorder's next write is
    due, and at the end of the batch. One insert per write instead of one per chunk: the store
    is shared with the API and with the other scans, and each insert costs it a write."""
    task = recorder.task
    found: list[tuple[ReadMessage, list[Invoice] | None]] = []
    for start in range(0, len(messages), FIND_CHUNK):
        chunk = messages[start : start + FIND_CHUNK]
        invoices = await asyncio.to_thread(invoices_of_batch, task, folder, chunk, limits)
        found += zip(chunk, invoices, strict=True)
        if recorder.write_due() or start + FIND_CHUNK >= len(messages):
            await _store_and_count(recorder, folder_key, found)
            found = []


async def _store_and_count(
    recorder: TaskRecorder,
    folder_key: str,
    found: list[tuple[ReadMessage, list[Invoice] | None]],
) -> None:
    """Store the new invoices of `found`, then count its messages (in UID order) and flush: a
    message is counted only once its invoices are stored."""
    stored = await store_new([invoice for _, invoices in found for invoice in invoices or ()])
    if stored and not await _account_exists(recorder.task.account_id):
        await Invoice.find(In(Invoice.id, list(stored))).delete()
        raise TaskNoLongerRunning("the account was removed while its scan ran")
    for read, invoices in found:
        recorder.message_done(
            folder_key,
            read.uid,
            invoices=sum(invoice.id in stored for invoice in invoices or ()),
            failed=invoices is None,
            bytes_fetched=read.bytes_fetched,
        )
    await recorder.flush()


async def _account_exists(account_id: str) -> bool:
    """Checked after each insert: removeEmailAccount cancels the scan, deletes the account, then
    its invoices, and a chunk stored meanwhile must not outlive the account. Insert-then-check
    here against delete-account-then-invoices there leaves no order in which one survives."""
    return await EmailAccount.find({"_id": PydanticObjectId(account_id)}).count() > 0


def invoices_of_batch(
    task: ScanTask, folder: str, messages: list[ReadMessage], limits: ScanLimits
) -> list[list[Invoice] | None]:
    """Per message, its invoices, or None when it could not be read (counted in errorCount)."""
    found: list[list[Invoice] | None] = []
    for read in messages:
        try:
            found.append(_invoices_of(task, folder, read, limits))
        except Exception:  # a parser bug on one hostile mail must not end the scan
            log.exception("scan %s: uid %s in %s could not be read", task.id, read.uid, folder)
            found.append(None)
    return found


def _invoices_of(
    task: ScanTask, folder: str, read: ReadMessage, limits: ScanLimits
) -> list[Invoice] | None:
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


async def store_new(invoices: list[Invoice]) -> set[str]:
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


async def stored_by(task: ScanTask) -> int:
    """How many invoices `task` stored: what a resumed run counts as found so far. Its lost run
    may have stored invoices of messages it had not counted yet; re-read, they are refused as
    duplicates and not counted again."""
    return await Invoice.find(
        Invoice.account_id == task.account_id, Invoice.task_id == task.id
    ).count()
