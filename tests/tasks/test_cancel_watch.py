"""The cancel watch closes a scan's IMAP connection when its task stops being the run's own, and
only then: the store decides, against the run's attempt (tasks/cancel_watch.py)."""

from __future__ import annotations

import asyncio
import uuid

from models import ScanTask
from models.enums import TaskStatus
from tasks.cancel_watch import stopped_on_cancel
from tests.support.scans import running_scan_task


async def watch_for(task: ScanTask, attempt: int, redis, seconds: float) -> int:
    """How often the watch of run `attempt` called stop while `seconds` passed."""
    stops: list[int] = []
    async with stopped_on_cancel(task.id, attempt, redis, lambda: stops.append(1)):
        await asyncio.sleep(seconds)
    return len(stops)


async def test_a_pending_read_of_the_runs_own_attempt_is_not_a_cancel(database, redis) -> None:
    """A read from another connection may not show yet the write that started the run: the
    task then looks PENDING. Stopping on it failed a heartbeat test's scan at its connect."""
    task = await running_scan_task(f"u{uuid.uuid4().hex[:8]}", 10)
    await ScanTask.apply_changes(task.id, {"status": TaskStatus.PENDING})
    assert await watch_for(task, 1, redis, 2.0) == 0


async def test_a_cancel_stops_the_run_within_two_seconds(database, redis) -> None:
    task = await running_scan_task(f"u{uuid.uuid4().hex[:8]}", 10)
    stops: list[float] = []
    loop = asyncio.get_running_loop()
    async with stopped_on_cancel(task.id, 1, redis, lambda: stops.append(loop.time())):
        await asyncio.sleep(0.3)
        # Stored only, no event: the watch must find it by itself (pub/sub lost the event).
        cancelled_at = loop.time()
        await ScanTask.apply_changes(task.id, {"status": TaskStatus.CANCELLED})
        await asyncio.sleep(2.5)
    assert len(stops) == 1 and stops[0] - cancelled_at < 2.0


async def test_a_task_the_reaper_took_back_is_not_the_runs_any_more(database, redis) -> None:
    task = await running_scan_task(f"u{uuid.uuid4().hex[:8]}", 10)
    # Queued again, and started by another worker: the next attempt, PROGRESS again.
    await ScanTask.apply_changes(task.id, {"attempt": 2})
    assert await watch_for(task, 1, redis, 0.5) == 1
    assert await watch_for(task, 2, redis, 0.5) == 0
