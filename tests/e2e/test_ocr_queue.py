"""OCR on a queue of its own, against real Dovecot, Redis, the store and real worker processes
for both queues: a scan's text invoices are stored while its scanned documents still wait for
OCR; the last OCR job ends the task SUCCESS; cancel drops queued OCR work; a killed OCR worker's
job is recovered; a hostile image counts in errorCount."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from datetime import timedelta
from decimal import Decimal

from core.settings import settings
from models import Invoice, OcrJob, ScanTask
from models.email_account import utcnow
from models.enums import InvoiceSource, ScanType, TaskStatus
from tasks.cancel import cancel_task
from tasks.celery_app import OCR_QUEUE, app
from tasks.dispatch import start_scan
from tasks.ocr_reaper import reap_stale_ocr_jobs
from tests.support.hostile_images import huge_tiff, png_bomb
from tests.support.mail import text_invoice
from tests.support.scanned_mail import WHEN, mail_with, photo_mail, scanned_pdf_mail
from tests.support.scans import mailbox_account, wait_until, wait_until_finished
from tests.support.services import Worker, parent_of


def hostile_mails() -> list[bytes]:
    """Three invoice mails whose "scan" no reader should decode: a decompression-bomb PNG, a
    20,000-pixel-square TIFF and a JPEG's first marker before random bytes, named scan.jpg
    (plain random bytes are not even downloaded: scanner/first_bytes.py)."""
    shady = "Shady <billing@shady.example>"
    noise = b"\xff\xd8\xff\xe0" + random.Random(15).randbytes(200_000)
    return [
        mail_with("Invoice 77", shady, "scan.jpg", "image/jpeg", noise),
        mail_with("Invoice 78", shady, "scan.png", "image/png", png_bomb(60_000)),
        mail_with("Invoice 79", shady, "scan.tiff", "image/tiff", huge_tiff(20_000)),
    ]


def hold(worker: Worker) -> None:
    """The OCR worker stops taking messages from the `ocr` queue (they wait there)."""
    replies = app.control.cancel_consumer(OCR_QUEUE, destination=[worker.hostname], reply=True)
    assert replies, f"{worker.hostname} did not answer"


def release(worker: Worker) -> None:
    replies = app.control.add_consumer(OCR_QUEUE, destination=[worker.hostname], reply=True)
    assert replies, f"{worker.hostname} did not answer"


async def account_with(dovecot, mails: list[bytes]):
    return await mailbox_account(dovecot, [(raw, WHEN) for raw in mails])


async def invoices_of(account_id: str) -> list[Invoice]:
    return await Invoice.find(Invoice.account_id == account_id).to_list()


async def test_text_invoices_are_stored_before_ocr_then_ocr_ends_the_task(
    dovecot, worker, ocr_worker, redis, database
):
    account = await account_with(
        dovecot, [text_invoice(1, WHEN), scanned_pdf_mail(), text_invoice(2, WHEN), photo_mail()]
    )
    await asyncio.to_thread(hold, ocr_worker)
    try:
        task = await start_scan(account, ScanType.INBOX, 1, redis)
        waiting = await wait_until(task.id, lambda t: t.reading_done or t.status.is_terminal, 60)
        # The scan read everything; the OCR worker is held: the text invoices are there.
        assert waiting.status is TaskStatus.PROGRESS
        assert waiting.current_status == "Reading 2 scanned documents"
        assert (waiting.emails_scanned, waiting.invoices_found) == (4, 2)
        assert (waiting.ocr_total, waiting.ocr_pending) == (2, 2)
        assert 0 < waiting.progress < 99 and waiting.estimated_duration_seconds is not None
        stored = await invoices_of(str(account.id))
        assert sorted(i.invoice_number or "" for i in stored) == ["INV-00001", "INV-00002"]
        await asyncio.sleep(1)
        assert (await ScanTask.get(task.id)).status is TaskStatus.PROGRESS  # type: ignore[union-attr]
    finally:
        await asyncio.to_thread(release, ocr_worker)
    final = await wait_until_finished(task.id, 120)

    assert final.status is TaskStatus.SUCCESS, final.error
    assert (final.progress, final.current_status, final.error_count) == (100, "Done", 0)
    assert (final.invoices_found, final.ocr_done, final.ocr_pending) == (4, 2, 0)
    ocr = {i.attachment_name: i for i in await invoices_of(str(account.id)) if i.source == "OCR"}
    assert set(ocr) == {"scan.pdf", "IMG_2041.jpg"}
    assert (ocr["scan.pdf"].vendor, ocr["scan.pdf"].total_amount) == (
        "Kraxi GmbH",
        Decimal("1005.55"),
    )
    assert ocr["scan.pdf"].source is InvoiceSource.OCR and ocr["scan.pdf"].task_id == task.id
    assert ocr["IMG_2041.jpg"].total_amount == Decimal("963.12")
    assert await OcrJob.find(OcrJob.task_id == task.id).count() == 0


async def test_hostile_images_count_as_errors_and_the_scan_succeeds(
    dovecot, worker, ocr_worker, redis, database
):
    account = await account_with(dovecot, [*hostile_mails(), text_invoice(3, WHEN)])
    task = await start_scan(account, ScanType.INBOX, 1, redis)
    final = await wait_until_finished(task.id, 120)

    assert final.status is TaskStatus.SUCCESS, final.error
    assert (final.emails_scanned, final.invoices_found, final.error_count) == (4, 1, 3)
    assert (final.ocr_total, final.ocr_done, final.ocr_pending) == (3, 3, 0)
    assert [i.invoice_number for i in await invoices_of(str(account.id))] == ["INV-00003"]


async def test_cancel_drops_queued_ocr_work(dovecot, worker, ocr_worker, redis, database):
    account = await account_with(dovecot, [scanned_pdf_mail(), text_invoice(4, WHEN)])
    await asyncio.to_thread(hold, ocr_worker)
    try:
        task = await start_scan(account, ScanType.INBOX, 1, redis)
        await wait_until(task.id, lambda t: t.reading_done or t.status.is_terminal, 60)
        jobs = [job.id for job in await OcrJob.find(OcrJob.task_id == task.id).to_list()]
        assert len(jobs) == 1
        cancelled = await cancel_task(task, redis)
        assert cancelled.status is TaskStatus.CANCELLED
        assert await OcrJob.find(OcrJob.task_id == task.id).count() == 0
    finally:
        await asyncio.to_thread(release, ocr_worker)
    # The job's message reaches the worker, which finds no job and does nothing.
    await wait_for_log(ocr_worker, f"ocr job {jobs[0]}: nothing to do", 60)
    stored = await invoices_of(str(account.id))
    assert [i.invoice_number for i in stored] == ["INV-00004"]
    assert (await ScanTask.get(task.id)).status is TaskStatus.CANCELLED  # type: ignore[union-attr]


async def test_a_killed_ocr_worker_job_is_recovered(dovecot, worker, ocr_worker, redis, database):
    account = await account_with(dovecot, [scanned_pdf_mail()])
    task = await start_scan(account, ScanType.INBOX, 1, redis)
    claimed = await wait_for_claim(task.id, 60)
    assert (
        claimed.worker_pid is not None and parent_of(claimed.worker_pid) == ocr_worker.process.pid
    )
    os.kill(claimed.worker_pid, signal.SIGKILL)
    # Celery hands the lost message back at once (acks_late): it finds the job claimed.
    await wait_for_log(ocr_worker, f"ocr job {claimed.id}: nothing to do", 60)
    assert (await ScanTask.get(task.id)).status is TaskStatus.PROGRESS  # type: ignore[union-attr]
    # Beat's reaper, once the claim is older than the timeout, queues the job again.
    later = utcnow() + timedelta(seconds=settings.OCR_JOB_TIMEOUT_SECONDS + 1)
    assert await reap_stale_ocr_jobs(later) == 1
    final = await wait_until_finished(task.id, 120)

    assert final.status is TaskStatus.SUCCESS, final.error
    assert (final.invoices_found, final.error_count, final.ocr_done) == (1, 0, 1)
    [invoice] = await invoices_of(str(account.id))
    assert (invoice.source, invoice.vendor) == (InvoiceSource.OCR, "Kraxi GmbH")
    assert await OcrJob.find(OcrJob.task_id == task.id).count() == 0


async def wait_for_claim(task_id: str, timeout: float) -> OcrJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = await OcrJob.find_one(OcrJob.task_id == task_id, OcrJob.claimed_at != None)  # noqa: E711
        if job is not None:
            return job
        await asyncio.sleep(0.05)
    raise TimeoutError(f"no OCR job of {task_id} was claimed")


async def wait_for_log(worker: Worker, needle: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while needle not in worker.log.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"{needle!r} not in {worker.log}"
        await asyncio.sleep(0.1)
