"""Progress events: the channel names and the payload, imported by publisher and subscriber alike.

Every event carries a task's full public state and its `seq`, the number of stored changes so far,
so a subscriber that read a snapshot can drop events older than it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from pydantic import BaseModel
from redis.asyncio import Redis
from redis.exceptions import RedisError

from models import ScanTask
from models.enums import ScanType, TaskStatus

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "invoicescan"
ALL_TASKS_CHANNEL = f"{CHANNEL_PREFIX}:tasks"


def task_channel(task_id: str) -> str:
    """Events of one task."""
    return f"{CHANNEL_PREFIX}:task:{task_id}"


def user_channel(user_id: str) -> str:
    """Events of every task of one user."""
    return f"{CHANNEL_PREFIX}:user:{user_id}:tasks"


class TaskState(BaseModel):
    """The public state of a scan task, as stored and as sent to subscribers."""

    id: str
    account_id: str
    user_id: str
    scan_type: ScanType
    months: int
    status: TaskStatus
    progress: int
    current_status: str
    emails_total: int | None
    emails_scanned: int
    invoices_found: int
    error_count: int
    error: str | None
    bytes_fetched: int
    estimated_duration_seconds: float | None
    actual_duration_seconds: float | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    seq: int

    @classmethod
    def from_document(cls, task: ScanTask) -> TaskState:
        return cls.model_validate(task.model_dump(include=set(cls.model_fields)))


async def publish_task_state(redis: Redis, state: TaskState) -> None:
    """Publish one event on the task's, its user's and the all-tasks channel in one round trip.

    Best effort: the stored document is the truth, and a scan must not stop because Redis
    blinked; subscribers catch up from the document.
    """
    payload = state.model_dump_json()
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for channel in (task_channel(state.id), user_channel(state.user_id), ALL_TASKS_CHANNEL):
                pipe.publish(channel, payload)
            await pipe.execute()
    except RedisError:
        log.warning("could not publish progress of task %s", state.id, exc_info=True)
