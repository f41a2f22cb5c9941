"""One scan of one account: the document workers update and subscribers read."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from beanie import Document
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument

from models.email_account import utcnow
from models.enums import ScanType, TaskStatus


class FolderMark(BaseModel):
    """How far a task has read one folder: every message of the window with a UID up to
    `read_up_to` is read (by an earlier scan, or counted in this task's counters)."""

    folder: str
    uidvalidity: int
    read_up_to: int


class PartState(StrEnum):
    """Where one part of a split scan stands (tasks/parts.py)."""

    WAITING = "waiting"  # not sent yet: the scan's cap on parts at once holds it back
    QUEUED = "queued"  # its Celery message is sent
    RUNNING = "running"  # a worker reads it
    DONE = "done"


class PartMark(BaseModel):
    """One part of a split scan: the messages of one folder with UIDs from `first_uid` to
    `last_uid` that the scan's search finds, read up to `read_up_to`. Every write of the part
    stores its counters on the task and this mark together, fenced by `attempt`."""

    folder_key: str
    folder: str
    uidvalidity: int
    first_uid: int
    last_uid: int
    messages: int
    read_up_to: int = 0
    state: PartState = PartState.WAITING
    attempt: int = 1
    # When it was last sent (QUEUED) or last beat (RUNNING).
    since: datetime | None = None
    # The Celery node and pool process reading it now (RUNNING).
    worker: str | None = None
    worker_pid: int | None = None


class ScanPosition(BaseModel):
    """Where a task stands in its mailbox, stored with its counters in the same write, so a
    run that resumes it after a lost worker reads exactly the messages not counted yet."""

    since: date
    # Keyed by FolderSync.key(scope, folder): folder names may hold dots and dollars.
    folders: dict[str, FolderMark] = Field(default_factory=dict)
    # A split scan's parts, keyed "p0", "p1", ... (tasks/parts.py); empty for a scan read in one.
    parts: dict[str, PartMark] = Field(default_factory=dict)


class ScanTask(Document):
    """A scan task; its id is the Celery task id.

    `active` is True exactly while the task is PENDING or PROGRESS and is unset otherwise: a unique
    index over it lets MongoDB itself refuse a second running scan of an account, atomically.
    `seq` grows with every stored change so subscribers can drop events older than what they read.
    `attempt` numbers the runs: beat's reaper raises it when it queues again a task whose worker
    stopped responding, and every write of a run is fenced by it, so a run taken away from a
    worker that was only slow cannot write over the next one.
    """

    id: str  # type: ignore[assignment]  # the Celery task id, not an ObjectId
    account_id: str
    user_id: str
    scan_type: ScanType
    months: int
    status: TaskStatus = TaskStatus.PENDING
    active: bool | None = True
    progress: int = 0
    current_status: str = "Queued"
    emails_total: int | None = None
    emails_scanned: int = 0
    invoices_found: int = 0
    error_count: int = 0
    bytes_fetched: int = 0
    error: str | None = None
    estimated_duration_seconds: float | None = None
    actual_duration_seconds: float | None = None
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None
    # When its Celery message was last sent; the reaper sends it again when a PENDING task has
    # waited too long (a message lost with a Redis that restarted empty).
    queued_at: datetime | None = Field(default_factory=utcnow)
    # The Celery node and pool process running the task now (None while it waits in the queue).
    worker: str | None = None
    worker_pid: int | None = None
    attempt: int = 1
    position: ScanPosition | None = None
    seq: int = 0
    # Scanned documents sent to the `ocr` queue (tasks/ocr.py): queued in all, finished, and
    # still to finish; the OCR workers change them by $inc only, the scan never writes them.
    ocr_total: int = 0
    ocr_done: int = 0
    ocr_pending: int = 0
    ocr_seconds: float = 0.0  # the time the finished OCR runs took, for the estimate
    # The scan read every message; the task ends SUCCESS once `ocr_pending` is 0 as well.
    reading_done: bool = False
    # A split scan (tasks/parts.py): its parts in all, those read to their end, and those
    # QUEUED or RUNNING (at most SCAN_MAX_CONNECTIONS: one IMAP connection each).
    parts_total: int = 0
    parts_done: int = 0
    parts_in_flight: int = 0

    class Settings:
        name = "scanning_tasks"
        indexes = [
            IndexModel(
                [("account_id", ASCENDING)],
                name="one_active_scan_per_account",
                unique=True,
                partialFilterExpression={"active": True},
            ),
            IndexModel([("account_id", ASCENDING), ("created_at", DESCENDING)]),
            IndexModel([("user_id", ASCENDING), ("created_at", DESCENDING)]),
            IndexModel([("status", ASCENDING), ("created_at", DESCENDING)]),
        ]

    @classmethod
    async def apply_changes(
        cls,
        task_id: str,
        changes: dict[str, Any],
        *,
        only_if: Collection[TaskStatus] | None = None,
        where: dict[str, Any] | None = None,
        increments: dict[str, int | float] | None = None,
        maxima: dict[str, int] | None = None,
    ) -> ScanTask | None:
        """Store `changes` (field name to value) atomically and bump `seq`.

        With `only_if`, the change happens only while the task is in one of those statuses;
        `where` adds other conditions (a MongoDB filter). None is returned when they do not hold
        (or the task does not exist). A terminal status also clears `active`, which frees the
        account for its next scan. `increments` are added ($inc), for counters that more than
        one process changes (the scan, its parts and its OCR jobs); `maxima` are raised to at
        least the value given ($max), for what several processes move only forward.
        """
        query: dict[str, Any] = {**(where or {}), "_id": task_id}
        if only_if is not None:
            query["status"] = {"$in": [status.value for status in only_if]}
        update: dict[str, Any] = {"$inc": {**(increments or {}), "seq": 1}}
        if changes:
            update["$set"] = _encode(changes)
        if maxima:
            update["$max"] = maxima
        status = changes.get("status")
        if status is not None and TaskStatus(status).is_terminal:
            update["$unset"] = {"active": ""}
        stored = await cls.get_pymongo_collection().find_one_and_update(
            query, update, return_document=ReturnDocument.AFTER
        )
        return cls.model_validate(stored) if stored is not None else None


def attempt_is(attempt: int) -> Any:
    """A filter on `attempt`; tasks stored before attempts were counted have none, and are
    in their first."""
    return attempt if attempt > 1 else {"$in": [1, None]}


def _encode(changes: dict[str, Any]) -> dict[str, Any]:
    return {key: _encode_value(value) for key, value in changes.items()}


def _encode_value(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, BaseModel):  # dates as ISO strings: BSON has no date without a time
        return value.model_dump(mode="json")
    return value
