"""One scan of one account: the document workers update and subscribers read."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from enum import StrEnum
from typing import Any

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument

from models.email_account import utcnow
from models.enums import ScanType, TaskStatus


class ScanTask(Document):
    """A scan task; its id is the Celery task id.

    `active` is True exactly while the task is PENDING or PROGRESS and is unset otherwise: a unique
    index over it lets MongoDB itself refuse a second running scan of an account, atomically.
    `seq` grows with every stored change so subscribers can drop events older than what they read.
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
    seq: int = 0

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
    ) -> ScanTask | None:
        """Store `changes` (field name to value) atomically and bump `seq`.

        With `only_if`, the change happens only while the task is in one of those statuses;
        None is returned when it is not (or the task does not exist). A terminal status also
        clears `active`, which frees the account for its next scan.
        """
        query: dict[str, Any] = {"_id": task_id}
        if only_if is not None:
            query["status"] = {"$in": [status.value for status in only_if]}
        update: dict[str, Any] = {"$set": _encode(changes), "$inc": {"seq": 1}}
        status = changes.get("status")
        if status is not None and TaskStatus(status).is_terminal:
            update["$unset"] = {"active": ""}
        stored = await cls.get_pymongo_collection().find_one_and_update(
            query, update, return_document=ReturnDocument.AFTER
        )
        return cls.model_validate(stored) if stored is not None else None


def _encode(changes: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.value if isinstance(value, StrEnum) else value for key, value in changes.items()
    }
