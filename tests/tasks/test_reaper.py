"""Beat's reaper: a PROGRESS task whose heartbeat is older than the timeout goes back to PENDING
and into the queue, exactly once however many reapers race a late heartbeat, and fails after its
last attempt. A run taken back writes nothing more."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from core.settings import settings
from models import ScanTask
from models.email_account import utcnow
from models.enums import ScanType, TaskStatus
from tasks.heartbeat import Heartbeat
from tasks.progress import task_channel
from tasks.reaper import reap_stale_tasks, resend_waiting, stopped_responding, take_back
from tasks.recorder import TaskNoLongerRunning, TaskRecorder
from tests.support.scans import stored, wait_until_finished

TIMEOUT = timedelta(seconds=settings.TASK_HEARTBEAT_TIMEOUT_SECONDS)


async def running_task(*, beat_age: timedelta, attempt: int = 1, **fields: Any) -> ScanTask:
    """A PROGRESS task of an account that does not exist, last heard of `beat_age` ago."""
    now = utcnow()
    task = ScanTask(
        id=str(uuid.uuid4()),
        account_id=uuid.uuid4().hex[:24],
        user_id="reaped",
        scan_type=ScanType.INBOX,
        months=1,
        status=TaskStatus.PROGRESS,
        current_status="Processing emails",
        started_at=now - beat_age - timedelta(seconds=30),
        heartbeat_at=now - beat_age,
        worker="lost@host",
        worker_pid=4242,
        attempt=attempt,
        emails_total=100,
        emails_scanned=40,
        progress=40,
        seq=12,
        **fields,
    )
    await task.insert()
    return task


async def events_of(redis: Redis, task_id: str) -> tuple[Any, list[dict[str, Any]]]:
    """Subscribe to the task's channel; the list fills as events arrive."""
    pubsub = redis.pubsub()
    await pubsub.subscribe(task_channel(task_id))
    events: list[dict[str, Any]] = []

    async def listen() -> None:
        async for message in pubsub.listen():
            if message["type"] == "message":
                events.append(json.loads(message["data"]))

    return asyncio.create_task(listen()), events


async def test_a_stale_task_is_queued_again_and_run(redis, worker, database) -> None:
    task = await running_task(beat_age=TIMEOUT + timedelta(seconds=5))
    fresh = await running_task(beat_age=timedelta(seconds=5))
    listener, events = await events_of(redis, task.id)
    try:
        assert await reap_stale_tasks(redis) >= 1
        # The worker runs the queued message: the task's account is gone, so it fails at once.
        finished = await wait_until_finished(task.id, 30)
        await asyncio.sleep(0.2)
    finally:
        listener.cancel()
    assert (finished.status, finished.error) == (
        TaskStatus.FAILURE,
        "The email account was removed",
    )
    assert finished.attempt == 2
    requeued = events[0]
    assert (requeued["status"], requeued["seq"]) == ("PENDING", task.seq + 1)
    assert requeued["current_status"] == "Queued again: the worker stopped responding"
    assert (requeued["progress"], requeued["emails_scanned"]) == (40, 40)
    assert [event["seq"] for event in events] == sorted({event["seq"] for event in events})
    untouched = await stored(fresh.id)
    assert (untouched.status, untouched.attempt, untouched.seq) == (TaskStatus.PROGRESS, 1, 12)
    await ScanTask.apply_changes(fresh.id, {"status": TaskStatus.CANCELLED})


async def test_two_reapers_take_a_task_back_once(redis, worker, database) -> None:
    task = await running_task(beat_age=TIMEOUT * 2)
    cutoff = utcnow() - TIMEOUT
    taken = await asyncio.gather(*(take_back(task, cutoff, redis) for _ in range(3)))
    assert sorted(taken) == [False, False, True]
    finished = await wait_until_finished(task.id, 30)
    assert finished.attempt == 2


async def test_a_late_heartbeat_wins_over_the_reaper(redis, database) -> None:
    task = await running_task(beat_age=TIMEOUT * 2)
    cutoff = utcnow() - TIMEOUT
    # The reaper read the task as stale; the worker's heartbeat lands before its change does.
    async with Heartbeat(task.id, task.attempt, interval=0.05):
        await asyncio.sleep(0.2)
    assert await take_back(task, cutoff, redis) is False
    after = await stored(task.id)
    assert (after.status, after.attempt, after.seq) == (TaskStatus.PROGRESS, 1, task.seq)
    await ScanTask.apply_changes(task.id, {"status": TaskStatus.CANCELLED})


async def test_the_last_attempt_ends_failure(redis, database) -> None:
    attempts = settings.TASK_MAX_ATTEMPTS
    task = await running_task(beat_age=TIMEOUT * 3, attempt=attempts)
    listener, events = await events_of(redis, task.id)
    try:
        assert await take_back(task, utcnow() - TIMEOUT, redis) is True
        await asyncio.sleep(0.2)
    finally:
        listener.cancel()
    failed = await stored(task.id)
    assert failed.status is TaskStatus.FAILURE
    assert (
        failed.error
        == stopped_responding(3)
        == ("The worker running this scan stopped responding 3 times")
    )
    raw = await ScanTask.get_pymongo_collection().find_one({"_id": task.id})
    assert raw is not None and "active" not in raw  # the account is free for its next scan
    assert failed.finished_at is not None
    assert failed.actual_duration_seconds and failed.actual_duration_seconds > 180
    assert (failed.seq, failed.attempt) == (task.seq + 1, attempts)
    assert [(e["status"], e["seq"]) for e in events] == [("FAILURE", task.seq + 1)]


async def test_a_run_taken_back_writes_nothing_more(redis, database) -> None:
    task = await running_task(beat_age=TIMEOUT * 2)
    old_run = TaskRecorder(await stored(task.id), redis)
    # Taken back, then started again by another worker: PROGRESS again, in attempt 2.
    await ScanTask.apply_changes(task.id, {"attempt": 2, "heartbeat_at": utcnow()})
    before = await stored(task.id)
    with pytest.raises(TaskNoLongerRunning):
        await old_run.step("Processing emails", emails_total=1)
    async with Heartbeat(task.id, 1, interval=0.05):
        await asyncio.sleep(0.3)
    after = await stored(task.id)
    assert (after.heartbeat_at, after.seq, after.emails_total) == (
        before.heartbeat_at,
        before.seq,
        before.emails_total,
    )
    async with Heartbeat(task.id, 2, interval=0.05):
        await asyncio.sleep(0.3)
    beaten = await stored(task.id)
    assert beaten.heartbeat_at is not None and before.heartbeat_at is not None
    assert beaten.heartbeat_at > before.heartbeat_at
    assert beaten.seq == before.seq  # a heartbeat is no public change
    await ScanTask.apply_changes(task.id, {"status": TaskStatus.CANCELLED})


def waiting_task(waited: timedelta) -> ScanTask:
    """A PENDING task of an account that does not exist, whose message went out `waited` ago
    and never reached a worker (none was sent here)."""
    since = utcnow() - waited
    return ScanTask(
        id=str(uuid.uuid4()),
        account_id=uuid.uuid4().hex[:24],
        user_id="waiting",
        scan_type=ScanType.INBOX,
        months=1,
        created_at=since,
        queued_at=since,
    )


async def test_a_task_pending_too_long_gets_its_message_once_more(worker, database) -> None:
    resend_after = timedelta(seconds=settings.TASK_PENDING_RESEND_SECONDS)
    lost = waiting_task(resend_after + timedelta(seconds=30))
    recent = waiting_task(resend_after - timedelta(seconds=30))
    await ScanTask.insert_many([lost, recent])
    # Two reapers at once: one claims the task and sends its message.
    await asyncio.gather(resend_waiting(utcnow()), resend_waiting(utcnow()))
    finished = await wait_until_finished(lost.id, 30)
    # The worker ran it: the account is gone, so it fails at once.
    assert finished.status is TaskStatus.FAILURE
    assert finished.error == "The email account was removed"
    await asyncio.sleep(1)
    assert worker.log.read_text(errors="replace").count(f"[{lost.id}] received") == 1
    waiting = await stored(recent.id)
    assert waiting.status is TaskStatus.PENDING
    assert waiting.queued_at is not None and recent.queued_at is not None
    # Not sent again: queued_at as stored (MongoDB keeps milliseconds).
    assert abs(waiting.queued_at - recent.queued_at) < timedelta(milliseconds=1)
    await ScanTask.apply_changes(recent.id, {"status": TaskStatus.CANCELLED})
