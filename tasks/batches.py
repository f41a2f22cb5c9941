"""Read messages: find their invoices (in a thread: PDF parsing is CPU work that must not stall
the worker's event loop and its heartbeat), store the new ones, queue their scanned documents
for OCR (tasks/ocr_queueing.py), count each message."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime

from beanie import PydanticObjectId
from beanie.operators import In
from pymongo.errors import BulkWriteError

from core.settings import settings
from models import EmailAccount, Invoice, OcrJob, ScanTask
from models.email_account import utcnow
from models.invoice import FieldConfidence
from scanner.invoices import FoundInvoice, OcrPart, find_invoices
from scanner.limits import ScanLimits
from scanner.messages import ParsedMessage
from scanner.reading import ReadMessage
from tasks.ocr_queueing import ocr_off, queue_ocr_jobs
from tasks.recorder import Counting, TaskNoLongerRunning

log = logging.getLogger(__name__)

DUPLICATE_KEY = 11000
# Messages whose invoices are found in one go (in a thread): progress can move, and a cancel be
# seen, while a batch of large PDFs is still being read.
FIND_CHUNK = 10


@dataclass(frozen=True, slots=True)
class _Found:
    """A read message, kept only as far as counting it needs: its invoices (None when it could
    not be read) and what fetching it cost."""

    uid: int
    invoices: list[Invoice] | None
    bytes_fetched: int
    ocr_jobs: list[OcrJob] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MessageFindings:
    """What one readable message gave: its invoices, and its scanned documents for OCR."""

    invoices: list[Invoice]
    ocr_jobs: list[OcrJob] = field(default_factory=list)


class FolderFindings:
    """The invoices found in one folder's messages, read FIND_CHUNK messages at a time (in a
    thread), stored and counted when the task's next write falls due, or when the caller
    settles.

    Storing with the writes, not per chunk or per batch, keeps the store's load per scan at
    about one insert with each progress write: the store is shared with the API and the other
    scans. A message is counted only once its invoices are stored.
    """

    def __init__(
        self, recorder: Counting, folder_key: str, folder: str, limits: ScanLimits
    ) -> None:
        self._recorder, self._folder_key, self._folder = recorder, folder_key, folder
        self._limits = limits
        self._pending: list[_Found] = []

    async def add(self, messages: list[ReadMessage]) -> None:
        """Find the invoices of `messages` (read from the folder, ascending UIDs)."""
        for start in range(0, len(messages), FIND_CHUNK):
            chunk = messages[start : start + FIND_CHUNK]
            found = await asyncio.to_thread(
                findings_of_batch, self._recorder.task, self._folder, chunk, self._limits
            )
            self._pending += (
                _Found(
                    read.uid,
                    None if one is None else one.invoices,
                    read.bytes_fetched,
                    [] if one is None else one.ocr_jobs,
                )
                for read, one in zip(chunk, found, strict=True)
            )
            if self._recorder.write_due(uncounted=len(self._pending)):
                await self.settle()

    async def settle(self) -> None:
        """Store the invoices found so far, then count their messages (in UID order) and write
        if due: before the folder's read position is remembered, which must never lead what is
        stored, and after its last batch."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        recorder = self._recorder
        stored = await store_new([invoice for found in pending for invoice in found.invoices or ()])
        if stored and not await account_exists(recorder.task.account_id):
            await Invoice.find(In(Invoice.id, list(stored))).delete()
            raise TaskNoLongerRunning("the account was removed while its scan ran")
        # Queued before their messages are counted: a resumed run reads those again, and the
        # jobs' ids make a second queueing of the same part a no-op.
        await queue_ocr_jobs(recorder, [job for found in pending for job in found.ocr_jobs])
        for found in pending:
            recorder.message_done(
                self._folder_key,
                found.uid,
                invoices=sum(invoice.id in stored for invoice in found.invoices or ()),
                failed=found.invoices is None,
                bytes_fetched=found.bytes_fetched,
            )
        await recorder.flush()


async def account_exists(account_id: str) -> bool:
    """Checked after each insert: removeEmailAccount cancels the scan, deletes the account, then
    its invoices, and a chunk stored meanwhile must not outlive the account. Insert-then-check
    here against delete-account-then-invoices there leaves no order in which one survives.
    A find by `_id` (not a count, which is an aggregation) is the store's cheapest read."""
    found = await EmailAccount.get_pymongo_collection().find_one(
        {"_id": PydanticObjectId(account_id)}, {"_id": 1}
    )
    return found is not None


def invoices_of_batch(
    task: ScanTask, folder: str, messages: list[ReadMessage], limits: ScanLimits
) -> list[list[Invoice] | None]:
    """Per message, its invoices, or None when it could not be read (counted in errorCount)."""
    found = findings_of_batch(task, folder, messages, limits)
    return [None if one is None else one.invoices for one in found]


def findings_of_batch(
    task: ScanTask, folder: str, messages: list[ReadMessage], limits: ScanLimits
) -> list[MessageFindings | None]:
    """Per message, its invoices and OCR jobs, or None when it could not be read (counted in
    errorCount)."""
    found: list[MessageFindings | None] = []
    for read in messages:
        try:
            found.append(_findings_of(task, folder, read, limits))
        except Exception:  # a parser bug on one hostile mail must not end the scan
            log.exception("scan %s: uid %s in %s could not be read", task.id, read.uid, folder)
            found.append(None)
    return found


def _findings_of(
    task: ScanTask, folder: str, read: ReadMessage, limits: ScanLimits
) -> MessageFindings | None:
    if read.error is not None:
        log.info("scan %s: uid %s in %s unreadable: %s", task.id, read.uid, folder, read.error)
        return None
    message = read.parsed
    if message is None:  # left out after its headers (not addressed to a group address)
        return MessageFindings([])
    findings = find_invoices(message, limits)
    findings.unreadable += _not_for_ocr(findings.ocr_parts)
    if findings.unreadable:
        log.info("scan %s: uid %s in %s: %s", task.id, read.uid, folder, findings.unreadable)
        return None
    received = read.internal_date or message.sent_at or utcnow()
    mail = MailOf(task, folder, message, received)
    return MessageFindings(
        [mail.invoice(found) for found in findings.invoices],
        [mail.ocr_job(part) for part in findings.ocr_parts],
    )


def _not_for_ocr(parts: list[OcrPart]) -> list[str]:
    """Why scanned documents cannot be queued: OCR is off here (no Tesseract, so no OCR worker
    either), or a part is over the size an OCR job may store."""
    if not parts:
        return []
    off = ocr_off()
    if off is not None:
        return [f"{part.filename}: not read, OCR is off: {off}" for part in parts]
    largest = settings.OCR_MAX_PART_BYTES
    return [
        f"{part.filename}: not read, {len(part.payload)} bytes, over the OCR limit of {largest}"
        for part in parts
        if len(part.payload) > largest
    ]


@dataclass(frozen=True, slots=True)
class MailOf:
    """The mail an invoice or a scanned document came from, as its stored documents name it."""

    task: ScanTask
    folder: str
    message: ParsedMessage
    received: datetime

    def invoice(self, found: FoundInvoice) -> Invoice:
        return new_invoice(
            self.task,
            message_id=self.message.message_id,
            folder=self.folder,
            subject=self.message.subject,
            sender=self.message.sender,
            received_at=self.received,
            found=found,
        )

    def ocr_job(self, part: OcrPart) -> OcrJob:
        task, message = self.task, self.message
        return OcrJob(
            id=OcrJob.key(task.id, message.message_id, part.part_key),
            task_id=task.id,
            account_id=task.account_id,
            user_id=task.user_id,
            message_id=message.message_id,
            part_key=part.part_key,
            folder=self.folder,
            subject=message.subject,
            sender=message.sender,
            received_at=self.received,
            filename=part.filename,
            content_type=part.content_type,
            payload=part.payload,
            hint_subject=part.hints.subject,
            hint_tld=part.hints.tld,
            hint_sender=part.hints.sender,
        )


def new_invoice(
    task: ScanTask,
    *,
    message_id: str,
    folder: str,
    subject: str,
    sender: str,
    received_at: datetime,
    found: FoundInvoice,
) -> Invoice:
    """The stored form of `found`, read by `task` from the mail `message_id`: the same for an
    invoice read in the scan and one read by OCR, its id derived from account, mail and part."""
    return Invoice.new(
        account_id=task.account_id,
        user_id=task.user_id,
        task_id=task.id,
        message_id=message_id,
        part_key=found.part_key,
        folder=folder,
        subject=subject,
        sender=sender,
        received_at=received_at,
        vendor=found.vendor,
        invoice_number=found.invoice_number,
        issue_date=found.issue_date,
        due_date=found.due_date,
        total_amount=found.total_amount,
        currency=found.currency,
        source=found.source,
        attachment_name=found.attachment_name,
        confidence=FieldConfidence(**found.confidence.as_dict()),
        needs_review=found.needs_review(settings.REVIEW_CONFIDENCE_THRESHOLD),
    )


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
