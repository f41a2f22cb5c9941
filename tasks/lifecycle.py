"""Ending a task from outside its worker (a cancel, a failure to queue it): the terminal state
stored in one atomic change, then published."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from models import ScanTask
from models.email_account import utcnow
from models.enums import ACTIVE_STATUSES, TaskStatus
from tasks.progress import TaskState, publish_task_state

STEP_WORDS = {
    TaskStatus.SUCCESS: "Done",
    TaskStatus.FAILURE: "Failed",
    TaskStatus.CANCELLED: "Cancelled",
}


def terminal_changes(
    status: TaskStatus, started_at: Any, *, error: str | None = None
) -> dict[str, Any]:
    """What a task's document gets when it ends with `status`."""
    finished = utcnow()
    changes: dict[str, Any] = {
        "status": status,
        "current_status": STEP_WORDS[status],
        "finished_at": finished,
        "error": error,
    }
    if started_at is not None:
        changes["actual_duration_seconds"] = round((finished - started_at).total_seconds(), 3)
    return changes


async def end_task(
    task: ScanTask, status: TaskStatus, redis: Redis, *, error: str | None = None
) -> ScanTask | None:
    """End `task` if it is still PENDING or PROGRESS; None when it had already ended."""
    changes = terminal_changes(status, task.started_at, error=error)
    stored = await ScanTask.apply_changes(task.id, changes, only_if=ACTIVE_STATUSES)
    if stored is not None:
        await publish_task_state(redis, TaskState.from_document(stored))
    return stored
