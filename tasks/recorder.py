"""Keeps a running scan's ScanTask document current and publishes each stored change.

Writes are throttled: when progress moves, at most one every 500 ms; at least one every second (a
running scan also notices a cancel at each write); always the terminal one. Two updates a second
are plenty for a progress bar, and the store stays free for the API: on the embedded store, 200 ms
put startScan's p99 near 100 ms while 4 scans ran, 500 ms keeps it near 70 ms (BENCHMARKS.md).
"""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis

from models import ScanTask
from models.email_account import utcnow
from models.enums import TaskStatus
from tasks.lifecycle import terminal_changes
from tasks.progress import TaskState, publish_task_state

MIN_INTERVAL_SECONDS = 0.5
# Also how soon a running scan notices a cancel: every write checks the status first.
MAX_SILENCE_SECONDS = 1.0


class TaskNoLongerRunning(Exception):
    """The task left PROGRESS under the worker (cancelled, or finished elsewhere): stop."""


class TaskRecorder:
    """The worker's view of one running task; the only writer of its counters."""

    def __init__(self, task: ScanTask, redis: Redis) -> None:
        self.task = task
        self._redis = redis
        self._last_write = 0.0
        self._last_progress = task.progress

    async def start(self) -> bool:
        """Move PENDING to PROGRESS; False when the task is not PENDING any more (it was
        cancelled, or this is a redelivery of a task that already ran)."""
        now = utcnow()
        changes = {
            "status": TaskStatus.PROGRESS,
            "current_status": "Connecting",
            "started_at": now,
            "heartbeat_at": now,
        }
        stored = await ScanTask.apply_changes(self.task.id, changes, only_if={TaskStatus.PENDING})
        if stored is None:
            return False
        await self._stored(stored)
        return True

    async def step(self, current_status: str, **changes: Any) -> None:
        """Record a new step, with any other changes (always written)."""
        await self._write({"current_status": current_status, **changes})

    async def message_done(self, *, invoices: int, failed: bool, bytes_fetched: int) -> None:
        """Count one message; written when the throttle allows."""
        task = self.task
        task.emails_scanned += 1
        task.invoices_found += invoices
        task.error_count += int(failed)
        task.bytes_fetched += bytes_fetched
        total = task.emails_total or 0
        # 100 is kept for SUCCESS: the last message is not the end of the work.
        task.progress = (
            max(task.progress, min(99, task.emails_scanned * 100 // total)) if total else 0
        )
        elapsed = time.monotonic() - self._last_write
        progressed = task.progress != self._last_progress
        if (progressed and elapsed >= MIN_INTERVAL_SECONDS) or elapsed >= MAX_SILENCE_SECONDS:
            await self._write({})

    async def finish(self, status: TaskStatus, *, error: str | None = None) -> None:
        """Write the terminal state."""
        changes = terminal_changes(status, self.task.started_at, error=error)
        if status is TaskStatus.SUCCESS:
            changes["progress"] = 100
        await self._write(changes)

    def _counters(self) -> dict[str, Any]:
        task = self.task
        return {
            "emails_scanned": task.emails_scanned,
            "invoices_found": task.invoices_found,
            "error_count": task.error_count,
            "bytes_fetched": task.bytes_fetched,
            "progress": task.progress,
            "heartbeat_at": utcnow(),
        }

    async def _write(self, changes: dict[str, Any]) -> None:
        # The counters live in memory between writes; every write stores them with the change.
        stored = await ScanTask.apply_changes(
            self.task.id, {**self._counters(), **changes}, only_if={TaskStatus.PROGRESS}
        )
        if stored is None:
            raise TaskNoLongerRunning(self.task.id)
        await self._stored(stored)

    async def _stored(self, stored: ScanTask) -> None:
        self.task = stored
        self._last_write = time.monotonic()
        self._last_progress = stored.progress
        await publish_task_state(self._redis, TaskState.from_document(stored))
