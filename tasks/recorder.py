"""Keeps a running scan's ScanTask document current and publishes each stored change.

Writes are throttled, and each write is one progress event: a write falls due with each percent
of progress, at most every MIN_INTERVAL_SECONDS (10 events a second), and otherwise every
MAX_INTERVAL_SECONDS; the steps and the terminal state are always written. The scan asks
whether a write is due after every FIND_CHUNK messages (tasks/batches.py), so a due write waits
at most one chunk. A running scan also notices a cancel at each write. Between writes, the heartbeat
(tasks/heartbeat.py) tells the reaper the worker is alive.

A long scan thus writes once per percent or per second, not more: every write is one more the
shared store serves while the API waits (BENCHMARKS.md, startScan while 8 scans run).

Every write stores the counters together with the position they count up to (per folder, the
highest UID counted), so a run that resumes the task after a lost worker continues both exactly.
Every write is also fenced by the run's `attempt`: a run the reaper took away cannot write.
"""

from __future__ import annotations

import os
import time
from typing import Any, Protocol

from redis.asyncio import Redis

from models import ScanTask
from models.email_account import utcnow
from models.enums import TaskStatus
from models.scan_task import ScanPosition, attempt_is
from tasks import estimates
from tasks.lifecycle import terminal_changes
from tasks.ocr_accounting import finish_or_wait, overall_progress, reading_done_changes
from tasks.progress import TaskState, publish_task_state

MIN_INTERVAL_SECONDS = 0.1
# Under the "every 2 s": a cancel is noticed at a write (tasks/cancel.py) and must stop
# the scan within 2 s, one chunk of messages included.
MAX_INTERVAL_SECONDS = 1.0


class TaskNoLongerRunning(Exception):
    """The task left PROGRESS under the worker (cancelled, finished or taken back): stop."""


class Counting(Protocol):
    """What counts a run's messages into its task: a whole scan's TaskRecorder, or one part's
    PartRecorder (tasks/part_recorder.py)."""

    task: ScanTask

    def fence(self) -> dict[str, Any]: ...

    def write_due(self, uncounted: int = 0) -> bool: ...

    def message_done(
        self, folder_key: str, uid: int, *, invoices: int, failed: bool, bytes_fetched: int
    ) -> None: ...

    def ocr_counted(self, stored: ScanTask) -> None: ...

    async def flush(self) -> None: ...


class TaskRecorder:
    """The worker's view of one running task; the only writer of its counters."""

    def __init__(self, task: ScanTask, redis: Redis, *, worker: str | None = None) -> None:
        self.task = task
        self._redis = redis
        self._worker = worker
        # An earlier run of this task started it, and its worker was lost.
        self.resuming = task.started_at is not None
        self._last_write = 0.0
        self._written_progress = task.progress
        # Set by `planned` when the account's history gives no rate: this run measures its own.
        self._own_rate = False
        self._run_started = 0.0
        self._run_done = 0
        self._run_written = 0
        # Counted since the last write, and added ($inc) by it: the task's OCR jobs add to the
        # same counters meanwhile (tasks/ocr.py).
        self._new_invoices = 0
        self._new_errors = 0

    async def start(self) -> bool:
        """Move PENDING to PROGRESS; False when the task is not PENDING any more (it was
        cancelled, or this is a redelivery of a task that already runs or ran)."""
        now = utcnow()
        changes = {
            "status": TaskStatus.PROGRESS,
            "current_status": "Resuming" if self.resuming else "Connecting",
            "started_at": self.task.started_at or now,
            "heartbeat_at": now,
            "worker": self._worker,
            "worker_pid": os.getpid(),
        }
        stored = await ScanTask.apply_changes(
            self.task.id,
            changes,
            only_if={TaskStatus.PENDING},
            where={"attempt": attempt_is(self.task.attempt)},
        )
        if stored is None:
            return False
        await self._stored(stored)
        return True

    async def step(self, current_status: str, **changes: Any) -> None:
        """Record a new step, with any other changes (always written)."""
        await self._write({"current_status": current_status, **changes})

    async def planned(
        self,
        remaining: int,
        position: ScanPosition,
        *,
        estimate: float | None,
        invoices_found: int,
    ) -> None:
        """Record what is left to read: the messages counted so far plus `remaining` make
        emailsTotal. Without an `estimate`, this run estimates from its own pace."""
        task = self.task
        task.position = position
        task.invoices_found = invoices_found
        self._own_rate = estimate is None
        self._run_started = time.monotonic()
        changes: dict[str, Any] = {
            "emails_total": task.emails_scanned + remaining,
            "invoices_found": invoices_found,
        }
        if estimate is not None:
            changes["estimated_duration_seconds"] = estimate
        await self.step("Processing emails", **changes)

    def message_done(
        self, folder_key: str, uid: int, *, invoices: int, failed: bool, bytes_fetched: int
    ) -> None:
        """Count message `uid` of the folder `folder_key` (in memory; `flush` writes). Messages
        of one folder are counted in ascending UID order."""
        task = self.task
        if task.position is not None:
            task.position.folders[folder_key].read_up_to = uid
        task.emails_scanned += 1
        task.invoices_found += invoices
        task.error_count += int(failed)
        self._new_invoices += invoices
        self._new_errors += int(failed)
        task.bytes_fetched += bytes_fetched
        self._run_done += 1
        task.progress = self._progress()

    def ocr_counted(self, stored: ScanTask) -> None:
        """The task's OCR counters as `stored` after jobs were queued (the other counters
        in memory are this run's, newer than stored)."""
        for name in ("ocr_total", "ocr_done", "ocr_pending"):
            setattr(self.task, name, getattr(stored, name))

    def fence(self) -> dict[str, Any]:
        """The filter under which this run may write the task."""
        return {"attempt": attempt_is(self.task.attempt)}

    def write_due(self, uncounted: int = 0) -> bool:
        """Whether a write is due: progress, with `uncounted` more messages done, moved on a
        percent since the last write, or a while passed."""
        since = time.monotonic() - self._last_write
        if since >= MAX_INTERVAL_SECONDS:
            return True
        return since >= MIN_INTERVAL_SECONDS and self._progress(uncounted) > self._written_progress

    def _progress(self, uncounted: int = 0) -> int:
        # 100 is kept for SUCCESS: the last message is not the end of the work.
        return overall_progress(self.task, uncounted)

    async def flush(self) -> None:
        """Write what was counted since the last write, when the throttle allows."""
        if self._run_done != self._run_written and self.write_due():
            await self._write({})

    async def finish_reading(self) -> None:
        """Every message is read: the task ends SUCCESS now, or, while OCR jobs of it remain,
        waits for the last of them to end it (tasks/ocr_accounting.py)."""
        await self._write(reading_done_changes(self.task))
        await finish_or_wait(self.task, self._redis)

    async def finish(self, status: TaskStatus, *, error: str | None = None) -> None:
        """Write the terminal state."""
        changes = terminal_changes(status, self.task.started_at, error=error)
        if status is TaskStatus.SUCCESS:
            changes["progress"] = 100
        await self._write(changes)

    def _counters(self) -> dict[str, Any]:
        task = self.task
        counters: dict[str, Any] = {
            "emails_scanned": task.emails_scanned,
            "bytes_fetched": task.bytes_fetched,
            "progress": task.progress,
            "position": task.position,
            "heartbeat_at": utcnow(),
        }
        if self._own_rate and task.started_at is not None and task.emails_total is not None:
            own = estimates.from_own_rate(
                elapsed_seconds=(utcnow() - task.started_at).total_seconds(),
                run_seconds=time.monotonic() - self._run_started,
                run_done=self._run_done,
                remaining=task.emails_total - task.emails_scanned,
            )
            if own is not None:
                counters["estimated_duration_seconds"] = own
        return counters

    async def _write(self, changes: dict[str, Any]) -> None:
        # The counters live in memory between writes; every write stores them with the change.
        counted = {"invoices_found": self._new_invoices, "error_count": self._new_errors}
        stored = await ScanTask.apply_changes(
            self.task.id,
            {**self._counters(), **changes},
            only_if={TaskStatus.PROGRESS},
            where={"attempt": attempt_is(self.task.attempt)},
            increments={name: n for name, n in counted.items() if n and name not in changes},
        )
        if stored is None:
            raise TaskNoLongerRunning(self.task.id)
        self._new_invoices = self._new_errors = 0
        await self._stored(stored)

    async def _stored(self, stored: ScanTask) -> None:
        self.task = stored
        self._written_progress = stored.progress
        self._run_written = self._run_done
        self._last_write = time.monotonic()
        await publish_task_state(self._redis, TaskState.from_document(stored))
