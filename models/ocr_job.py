"""One scanned document waiting for OCR: the part a scan found, kept until an OCR worker read it.

The scan stores the part's bytes here and queues `scans.ocr_part` with the job's id; the OCR
task reads it, stores its invoice and deletes the job. A part is at most the attachment limit
(SCAN_MAX_ATTACHMENT_BYTES, 15 MiB by default), under MongoDB's 16 MiB document limit.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from models.email_account import utcnow


def ocr_job_key(task_id: str, message_id: str, part_key: str) -> str:
    """The job's `_id`: one per task, message and part, so a message read again (a resumed
    scan) queues its part once."""
    return hashlib.sha256("\0".join((task_id, message_id, part_key)).encode()).hexdigest()


class OcrJob(Document):
    """A part to OCR, with what its invoice needs from the mail around it.

    `attempts` numbers the runs: the reaper raises it when it queues again a job whose worker was
    lost (`claimed_at` too old), and a run only finishes the job of its own attempt.
    """

    id: str  # type: ignore[assignment]  # ocr_job_key(task_id, message_id, part_key)
    task_id: str
    account_id: str
    user_id: str
    message_id: str
    part_key: str
    folder: str
    subject: str
    sender: str
    received_at: datetime
    filename: str
    content_type: str
    payload: bytes
    # The TextHints the text reader would use (scanner.extraction.fields.TextHints).
    hint_subject: str = ""
    hint_tld: str | None = None
    hint_sender: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    # When an OCR run took the job, and which process; None while it waits in the queue.
    claimed_at: datetime | None = None
    worker_pid: int | None = None
    attempts: int = 1

    class Settings:
        name = "ocr_jobs"
        indexes = [
            IndexModel([("task_id", ASCENDING)]),
            IndexModel([("claimed_at", ASCENDING)]),
        ]

    @classmethod
    def key(cls, task_id: str, message_id: str, part_key: str) -> str:
        return ocr_job_key(task_id, message_id, part_key)
