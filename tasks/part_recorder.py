"""Keeps the ScanTask of a split scan current from one of its parts (tasks/parts.py).

Several parts write the same task at once, so a part never sets a counter: each write adds what
the part counted since its last write ($inc), stores the part's own read position beside it in
the same atomic change, and raises `progress` ($max) to what the part can tell from the task as
last stored plus its own counts. Every write is fenced by the part's attempt and state: a part
the reaper took back, or a task cancelled or ended, cannot write, and the part stops
(TaskNoLongerRunning). Writes are throttled as a whole scan's are (tasks/recorder.py).
"""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis

from models import ScanTask
from models.email_account import utcnow
from models.enums import TaskStatus
from models.scan_task import PartMark, PartState
from tasks import estimates
from tasks.ocr_accounting import overall_progress
from tasks.progress import TaskState, publish_task_state
from tasks.recorder import MAX_INTERVAL_SECONDS, MIN_INTERVAL_SECONDS, TaskNoLongerRunning


class PartRecorder:
    """One running part's view of its task; the writer of the part's counts and mark."""

    def __init__(self, task: ScanTask, part_key: str, redis: Redis) -> None:
        self.task = task
        self.part_key = part_key
        self._redis = redis
        self._path = f"position.parts.{part_key}"
        mark = self.mark
        self._attempt = mark.attempt
        self._read_up_to = mark.read_up_to
        self._last_write = 0.0
        self._written_progress = task.progress
        # Counted since the last write, added by the next.
        self._emails = self._invoices = self._errors = self._bytes = 0

    @property
    def mark(self) -> PartMark:
        assert self.task.position is not None
        return self.task.position.parts[self.part_key]

    def fence(self) -> dict[str, Any]:
        """The filter under which this part may write the task."""
        return {
            f"{self._path}.attempt": self._attempt,
            f"{self._path}.state": PartState.RUNNING.value,
        }

    def message_done(
        self, folder_key: str, uid: int, *, invoices: int, failed: bool, bytes_fetched: int
    ) -> None:
        """Count message `uid` of the part (in memory; `flush` writes), in ascending order."""
        self._read_up_to = uid
        self._emails += 1
        self._invoices += invoices
        self._errors += int(failed)
        self._bytes += bytes_fetched

    def ocr_counted(self, stored: ScanTask) -> None:
        """The task as stored after OCR jobs were counted on it."""
        for name in ("ocr_total", "ocr_done", "ocr_pending"):
            setattr(self.task, name, getattr(stored, name))

    def write_due(self, uncounted: int = 0) -> bool:
        since = time.monotonic() - self._last_write
        if since >= MAX_INTERVAL_SECONDS:
            return True
        return since >= MIN_INTERVAL_SECONDS and self._progress(uncounted) > self._written_progress

    def _progress(self, uncounted: int = 0) -> int:
        # What this part can tell: the task as last stored, plus its own counts since.
        return overall_progress(self.task, self._emails + uncounted)

    async def flush(self) -> None:
        """Write what was counted since the last write, when the throttle allows."""
        if self._emails and self.write_due():
            await self._write({})

    async def requeued(self) -> None:
        """The part gives its worker up for now (others wait in the queue): QUEUED again, in
        the same attempt, read up to where it stands."""
        await self._write(
            {f"{self._path}.state": PartState.QUEUED, f"{self._path}.since": utcnow()}
        )

    async def done(self) -> ScanTask:
        """The part is read to its end: DONE, counted among the task's finished parts."""
        return await self._write(
            {f"{self._path}.state": PartState.DONE, f"{self._path}.worker": None},
            increments={"parts_done": 1, "parts_in_flight": -1},
        )

    async def _write(
        self, changes: dict[str, Any], *, increments: dict[str, int] | None = None
    ) -> ScanTask:
        counted = {
            "emails_scanned": self._emails,
            "invoices_found": self._invoices,
            "error_count": self._errors,
            "bytes_fetched": self._bytes,
        }
        now = utcnow()
        stored = await ScanTask.apply_changes(
            self.task.id,
            {
                f"{self._path}.read_up_to": self._read_up_to,
                f"{self._path}.since": now,
                "heartbeat_at": now,
                **self._estimate(),
                **changes,
            },
            only_if={TaskStatus.PROGRESS},
            where=self.fence(),
            increments={**{k: n for k, n in counted.items() if n}, **(increments or {})},
            maxima={"progress": self._progress()},
        )
        if stored is None:
            raise TaskNoLongerRunning(self.task.id)
        self._emails = self._invoices = self._errors = self._bytes = 0
        self.task = stored
        self._written_progress = stored.progress
        self._last_write = time.monotonic()
        await publish_task_state(self._redis, TaskState.from_document(stored))
        return stored

    def _estimate(self) -> dict[str, float]:
        """The whole task's duration from its own pace so far: its parts run at once, so no
        single part's pace (nor the account's history of unsplit scans) tells it."""
        task = self.task
        if task.started_at is None or task.emails_total is None:
            return {}
        elapsed = (utcnow() - task.started_at).total_seconds()
        done = task.emails_scanned + self._emails
        estimate = estimates.from_own_rate(
            elapsed_seconds=elapsed,
            run_seconds=elapsed,
            run_done=done,
            remaining=max(task.emails_total - done, 0),
        )
        return {} if estimate is None else {"estimated_duration_seconds": estimate}
