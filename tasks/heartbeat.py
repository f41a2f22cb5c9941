"""A running scan's heartbeat: `heartbeat_at` written every few seconds from a background task on
the worker's event loop, so it goes on while the scan waits on a slow IMAP FETCH or parses a
large PDF (both run in threads). Beat's reaper takes back a task whose heartbeat stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType

from pymongo.errors import PyMongoError

from models import ScanTask
from models.email_account import utcnow
from models.enums import TaskStatus
from models.scan_task import PartState, attempt_is

log = logging.getLogger(__name__)

# Well under TASK_HEARTBEAT_TIMEOUT_SECONDS (at least 20): a few missed beats are no alarm.
HEARTBEAT_INTERVAL_SECONDS = 5.0


class Heartbeat:
    """`async with Heartbeat(task_id, attempt):` beats while the block runs.

    A beat is no public change: it neither bumps `seq` nor publishes an event. It is fenced like
    every write of the run: once the task left PROGRESS or was taken back, it writes nothing.
    """

    def __init__(
        self,
        task_id: str,
        attempt: int,
        interval: float = HEARTBEAT_INTERVAL_SECONDS,
        *,
        part: str | None = None,
    ) -> None:
        self.task_id = task_id
        self.attempt = attempt
        self.interval = interval
        # A part of a split scan (tasks/parts.py) beats on its own mark, fenced by its own
        # attempt, and on the task's heartbeat as well.
        self.part = part
        self._beating: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Heartbeat:
        self._beating = asyncio.create_task(self._beat(), name=f"heartbeat {self.task_id}")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._beating is not None:
            self._beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beating

    async def _beat(self) -> None:
        collection = ScanTask.get_pymongo_collection()
        fence: dict[str, object] = {"_id": self.task_id, "status": TaskStatus.PROGRESS.value}
        beat = ["heartbeat_at"]
        if self.part is None:
            fence["attempt"] = attempt_is(self.attempt)
        else:
            mark = f"position.parts.{self.part}"
            fence |= {f"{mark}.attempt": self.attempt, f"{mark}.state": PartState.RUNNING.value}
            beat.append(f"{mark}.since")
        while True:
            await asyncio.sleep(self.interval)
            try:
                now = utcnow()
                await collection.update_one(fence, {"$set": dict.fromkeys(beat, now)})
            except PyMongoError:  # the next beat tries again; the reaper allows for a few
                log.warning("heartbeat of %s not written", self.task_id, exc_info=True)
