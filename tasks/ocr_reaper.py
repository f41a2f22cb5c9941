"""Recovering OCR jobs whose worker was lost (killed, its machine gone), as tasks/reaper.py
recovers scans: a job claimed longer ago than OCR_JOB_TIMEOUT_SECONDS goes back to the queue
with its attempt raised; after OCR_MAX_ATTEMPTS runs it is finished as unreadable instead
(counted in its task's errorCount), so its task still ends."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from core.settings import settings
from models import OcrJob
from tasks.ocr import job_finished
from tasks.ocr_queueing import send_ocr_messages

log = logging.getLogger(__name__)


async def reap_stale_ocr_jobs(now: datetime) -> int:
    """Queue again, or give up, every job claimed before the timeout; how many."""
    cutoff = now - timedelta(seconds=settings.OCR_JOB_TIMEOUT_SECONDS)
    stale_filter = {"claimed_at": {"$lt": cutoff}}
    collection = OcrJob.get_pymongo_collection()
    stale = await collection.find(stale_filter, {"task_id": 1, "attempts": 1}).to_list()
    taken = 0
    for job in stale:
        attempts = int(job.get("attempts", 1))
        log.warning(
            "ocr job %s (task %s): its worker stopped responding", job["_id"], job["task_id"]
        )
        if attempts >= settings.OCR_MAX_ATTEMPTS:
            taken += await job_finished(
                job["_id"],
                job["task_id"],
                attempts,
                invoices=0,
                failed=True,
                seconds=0.0,
                where=stale_filter,
            )
            continue
        # The same filter makes it safe: of two reapers, or a reaper and a run finishing late,
        # one wins; the old run's finish is fenced by its attempt.
        again = await collection.update_one(
            {**stale_filter, "_id": job["_id"], "attempts": attempts},
            {"$set": {"claimed_at": None, "worker_pid": None}, "$inc": {"attempts": 1}},
        )
        if again.modified_count:
            await send_ocr_messages([job["_id"]])
            taken += 1
    return taken
