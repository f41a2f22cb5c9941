"""The OCR task: a thin adapter from an OcrJob id to the OCR reader, the store and progress.

A job runs once per claim: a redelivered message of a job another run holds does nothing (the
reaper queues a job again when its run was lost, tasks/ocr_reaper.py). A job of a task that is
not active any more (cancelled, failed) is dropped with its stored part. Its invoice is stored
exactly as the scan stores its own (tasks/batches.py), idempotent by its key, and the job is
finished (deleted, its task's counters changed) only by the run of its own attempt.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import time
from collections.abc import Mapping

from pymongo import ReturnDocument

from models import Invoice, OcrJob, ScanTask
from models.email_account import utcnow
from models.enums import ACTIVE_STATUSES
from scanner.extraction.fields import TextHints
from scanner.extraction.record import Unreadable
from scanner.invoices import FoundInvoice
from scanner.ocr.reader import read_ocr_invoice
from tasks.batches import account_exists, new_invoice, store_new
from tasks.celery_app import OCR_TASK, app
from tasks.mailbox import scan_limits
from tasks.ocr_accounting import finish_or_wait
from tasks.progress import TaskState, publish_task_state
from tasks.runtime import run, runtime

log = logging.getLogger(__name__)


@app.task(name=OCR_TASK)
def ocr_part(job_id: str) -> None:
    """OCR the stored part of the OcrJob `job_id` (queue `ocr`)."""
    run(read_ocr_job(job_id))


async def read_ocr_job(job_id: str) -> None:
    """Claim the job, read it, store its invoice and count it on its task."""
    job = await _claim(job_id)
    if job is None:
        log.info("ocr job %s: nothing to do (done, or claimed by another run)", job_id)
        return
    task = await ScanTask.get(job.task_id)
    if task is None or not task.status.is_active:
        log.info("ocr job %s: task %s is not active any more; dropped", job_id, job.task_id)
        await OcrJob.get_pymongo_collection().delete_one({"_id": job.id})
        return
    started = time.monotonic()
    found, failed = await asyncio.to_thread(_read, job)
    invoices = 0
    if found is not None and await _still_queued(job):
        invoices = await _store(task, job, found)
    await job_finished(
        job.id,
        job.task_id,
        job.attempts,
        invoices=invoices,
        failed=failed,
        seconds=time.monotonic() - started,
    )


async def _claim(job_id: str) -> OcrJob | None:
    stored = await OcrJob.get_pymongo_collection().find_one_and_update(
        {"_id": job_id, "claimed_at": None},
        {"$set": {"claimed_at": utcnow(), "worker_pid": os.getpid()}},
        return_document=ReturnDocument.AFTER,
    )
    return OcrJob.model_validate(stored) if stored is not None else None


def _read(job: OcrJob) -> tuple[FoundInvoice | None, bool]:
    """The job's invoice (None: the document is no invoice), and whether it was unreadable."""
    hints = TextHints(job.hint_subject, job.hint_tld, job.filename, job.hint_sender, False)
    try:
        found = read_ocr_invoice(job.payload, job.filename, job.content_type, hints, scan_limits())
    except Unreadable as exc:
        log.info("ocr job %s (%s): unreadable: %s", job.id, job.filename, exc)
        return None, True
    except Exception:  # a reader bug on one hostile image must not lose the job's accounting
        log.exception("ocr job %s (%s) could not be read", job.id, job.filename)
        return None, True
    if found is None:
        return None, False
    return dataclasses.replace(found, part_key=job.part_key, attachment_name=job.filename), False


async def _still_queued(job: OcrJob) -> bool:
    """Not cancelled (cancelScan deletes the task's jobs) nor taken back while it was read."""
    kept = await OcrJob.get_pymongo_collection().find_one(
        {"_id": job.id, "attempts": job.attempts}, {"_id": 1}
    )
    return kept is not None


async def _active(task_id: str) -> bool:
    current = await ScanTask.get(task_id)
    return current is not None and current.status.is_active


async def _store(task: ScanTask, job: OcrJob, found: FoundInvoice) -> int:
    """Store the invoice; 1 when it counts as found by this task: stored now, or by an earlier
    run of this job (a redelivery), not by an earlier scan."""
    invoice = new_invoice(
        task,
        message_id=job.message_id,
        folder=job.folder,
        subject=job.subject,
        sender=job.sender,
        received_at=job.received_at,
        found=found,
    )
    stored = await store_new([invoice])
    if stored and not (await account_exists(task.account_id) and await _active(task.id)):
        # Removed, or cancelled while this job was read: its invoice is not kept.
        await Invoice.get_pymongo_collection().delete_one({"_id": invoice.id})
        return 0
    if stored:
        return 1
    again = await Invoice.get_pymongo_collection().find_one(
        {"_id": invoice.id, "task_id": task.id}, {"_id": 1}
    )
    return int(again is not None)


async def job_finished(
    job_id: str,
    task_id: str,
    attempts: int,
    *,
    invoices: int,
    failed: bool,
    seconds: float,
    where: Mapping[str, object] | None = None,
) -> bool:
    """Delete the job of attempt `attempts` and count it on its task: the one change that
    finishes a job, so it is counted once. The last job of a task that read every message
    ends it (tasks/ocr_accounting.py). False when the job was not there any more."""
    filter_ = {**(where or {}), "_id": job_id, "attempts": attempts}
    deleted = await OcrJob.get_pymongo_collection().delete_one(filter_)
    if not deleted.deleted_count:
        return False
    # Counted while the task is active: a scan the reaper queued again (PENDING) still waits
    # for this job, and its resumed run must find the count lowered.
    stored = await ScanTask.apply_changes(
        task_id,
        {},
        only_if=ACTIVE_STATUSES,
        increments={
            "ocr_pending": -1,
            "ocr_done": 1,
            "invoices_found": invoices,
            "error_count": int(failed),
            "ocr_seconds": round(seconds, 3),
        },
    )
    if stored is None:
        return True
    redis = runtime().redis
    await publish_task_state(redis, TaskState.from_document(stored))
    await finish_or_wait(stored, redis)
    return True
