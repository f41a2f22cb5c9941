"""Handing a scan's scanned documents to the `ocr` queue: each stored as an OcrJob, counted on
its ScanTask, then one `scans.ocr_part` message per job (tasks/ocr.py reads them)."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Sequence

from kombu import Producer
from pymongo.errors import BulkWriteError

from models import OcrJob, ScanTask
from models.enums import TaskStatus
from scanner.ocr import ocr_unavailable
from tasks.celery_app import OCR_TASK, app
from tasks.recorder import Counting, TaskNoLongerRunning

log = logging.getLogger(__name__)

DUPLICATE_KEY = 11000


@functools.cache
def ocr_off() -> str | None:
    """Why OCR cannot run on this machine (no Tesseract, or a language pack missing), or None.
    Asked once per process: a scan then counts its scanned documents unread rather than
    queueing work no OCR worker would do (`invoicescan dev` starts none then)."""
    return ocr_unavailable()


async def queue_ocr_jobs(recorder: Counting, jobs: list[OcrJob]) -> None:
    """Store `jobs`, count the new ones on the task (`ocr_total`, `ocr_pending`), send their
    messages. A job stored already (the same part of a message read again by a resumed run)
    is neither counted nor sent again."""
    if not jobs:
        return
    new = await _insert_new(jobs)
    if not new:
        return
    task = recorder.task
    stored = await ScanTask.apply_changes(
        task.id,
        {},
        only_if={TaskStatus.PROGRESS},
        where=recorder.fence(),
        increments={"ocr_total": len(new), "ocr_pending": len(new)},
    )
    if stored is None:
        await OcrJob.get_pymongo_collection().delete_many({"_id": {"$in": new}})
        raise TaskNoLongerRunning(task.id)
    recorder.ocr_counted(stored)
    await send_ocr_messages(new)


async def _insert_new(jobs: list[OcrJob]) -> list[str]:
    try:
        await OcrJob.insert_many(jobs, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(error.get("code") != DUPLICATE_KEY for error in errors):
            raise
        refused = {error["index"] for error in errors}
        return [job.id for index, job in enumerate(jobs) if index not in refused]
    return [job.id for job in jobs]


async def send_ocr_messages(job_ids: Sequence[str]) -> None:
    """One `scans.ocr_part` message per job, over one broker connection (in a thread: kombu
    blocks)."""
    await asyncio.to_thread(_send, list(job_ids))


def _send(job_ids: list[str]) -> None:
    with app.connection_for_write() as connection:
        producer = Producer(connection)
        for job_id in job_ids:
            # ignore_result: the task's own setting, which send_task does not read.
            app.send_task(OCR_TASK, args=[job_id], producer=producer, ignore_result=True)
