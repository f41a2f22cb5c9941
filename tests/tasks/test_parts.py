"""A split scan's parts (tasks/parts.py, part_recorder.py, part_reaper.py, queue_depth.py),
against the real store and Redis: parts as the search found them, the cap on parts at once held
however many processes hand out, exact counts from parts writing at once, and recovery of lost
parts and messages."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from core.settings import settings
from models import ScanTask
from models.email_account import FolderSync, utcnow
from models.enums import ScanType, TaskStatus
from models.scan_task import PartMark, PartState, ScanPosition
from scanner.folders import FolderWork
from tasks import part_reaper, parts
from tasks.celery_app import app
from tasks.part_reaper import parts_lost, reap_parts
from tasks.part_recorder import PartRecorder
from tasks.part_task import fail_scan
from tasks.queue_depth import PART_PRIORITY
from tasks.reaper import end_unended
from tasks.recorder import TaskNoLongerRunning
from tests.support.scans import stored

LOST = timedelta(seconds=settings.TASK_HEARTBEAT_TIMEOUT_SECONDS + 5)


def test_each_folder_is_split_in_order_into_parts_of_at_most_the_size() -> None:
    plan = [
        FolderWork("INBOX", 7, [3, 4, 9, 10, 11]),
        FolderWork("Archive", 8, [1, 2]),
        FolderWork("Empty", 9, []),
    ]
    split = parts.split(plan, "INBOX", 2)
    assert list(split) == ["p0", "p1", "p2", "p3"]
    assert [
        (p.folder, p.first_uid, p.last_uid, p.messages, p.read_up_to) for p in split.values()
    ] == [
        ("INBOX", 3, 4, 2, 2),
        ("INBOX", 9, 10, 2, 8),
        ("INBOX", 11, 11, 1, 10),
        ("Archive", 1, 2, 2, 0),
    ]
    assert {p.folder_key for p in split.values() if p.folder == "INBOX"} == {
        FolderSync.key("INBOX", "INBOX")
    }
    assert {(p.state, p.attempt) for p in split.values()} == {(PartState.WAITING, 1)}


async def split_task(
    count: int, *, state: PartState = PartState.WAITING, **fields: Any
) -> ScanTask:
    """A PROGRESS task split into `count` parts of 100 messages (UIDs 1..), of an account that
    does not exist."""
    now = utcnow()
    marks = {
        f"p{i}": PartMark(
            folder_key="k",
            folder="INBOX",
            uidvalidity=1,
            first_uid=100 * i + 1,
            last_uid=100 * (i + 1),
            messages=100,
            read_up_to=100 * i,
            state=state,
            since=now if state is not PartState.WAITING else None,
        )
        for i in range(count)
    }
    task = ScanTask(
        id=str(uuid.uuid4()),
        account_id=uuid.uuid4().hex[:24],
        user_id="parts",
        scan_type=ScanType.INBOX,
        months=1,
        status=TaskStatus.PROGRESS,
        current_status="Processing emails",
        started_at=now,
        heartbeat_at=now,
        emails_total=100 * count,
        position=ScanPosition(since=now.date(), parts=marks),
        parts_total=count,
        **fields,
    )
    await task.insert()
    return task


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, str, int]]:
    """The part messages sent, instead of sending them."""
    messages: list[tuple[str, str, int]] = []

    async def record(task_id: str, key: str, attempt: int) -> None:
        messages.append((task_id, key, attempt))

    monkeypatch.setattr(parts.publisher, "send_part", record)
    return messages


async def test_hand_out_holds_the_cap_however_many_processes_hand_out(database, sent) -> None:
    task = await split_task(10)
    handed = await asyncio.gather(*(parts.hand_out(task) for _ in range(5)))
    cap = settings.SCAN_MAX_CONNECTIONS
    assert sum(handed) == cap == len(sent) == len({key for _, key, _ in sent})
    now = await stored(task.id)
    assert now.parts_in_flight == cap
    assert now.position is not None
    queued = [k for k, p in now.position.parts.items() if p.state is PartState.QUEUED]
    assert sorted(queued) == sorted(key for _, key, _ in sent)
    # A part that ends frees its place for the next.
    await ScanTask.get_pymongo_collection().update_one(
        {"_id": task.id},
        {"$set": {f"position.parts.{queued[0]}.state": "done"}, "$inc": {"parts_in_flight": -1}},
    )
    assert await parts.hand_out(await stored(task.id)) == 1


async def test_parts_writing_at_once_add_up_exactly(database, redis: Redis) -> None:
    task = await split_task(2, state=PartState.RUNNING)
    first, second = PartRecorder(task, "p0", redis), PartRecorder(task, "p1", redis)
    for uid in range(1, 31):
        first.message_done("k", uid, invoices=uid % 3 == 0, failed=False, bytes_fetched=10)
        second.message_done("k", 100 + uid, invoices=0, failed=uid == 7, bytes_fetched=1)
        if uid % 10 == 0:
            await asyncio.gather(first._write({}), second._write({}))
    final = await stored(task.id)
    assert (final.emails_scanned, final.invoices_found, final.error_count) == (60, 10, 1)
    assert final.bytes_fetched == 330
    assert final.position is not None
    assert [final.position.parts[k].read_up_to for k in ("p0", "p1")] == [30, 130]
    # 60 of 200 messages: each part raises progress to what it knows, the other part's counts
    # as of its own last write (here 10 behind), so it lags by at most one write of the other.
    assert 25 <= final.progress <= 30
    # A part taken back by the reaper writes no more.
    await ScanTask.get_pymongo_collection().update_one(
        {"_id": task.id}, {"$set": {"position.parts.p0.attempt": 2}}
    )
    first.message_done("k", 31, invoices=0, failed=False, bytes_fetched=1)
    with pytest.raises(TaskNoLongerRunning):
        await first._write({})
    assert (await stored(task.id)).emails_scanned == 60


async def test_the_last_part_to_end_ends_the_task(database, redis: Redis, sent) -> None:
    task = await split_task(2, state=PartState.RUNNING, parts_in_flight=2)
    recorders = [PartRecorder(task, key, redis) for key in ("p0", "p1")]
    for recorder, first in zip(recorders, (1, 101), strict=True):
        for uid in range(first, first + 100):
            recorder.message_done("k", uid, invoices=0, failed=False, bytes_fetched=1)
    ended = await asyncio.gather(*(recorder.done() for recorder in recorders))
    last = max(ended, key=lambda t: t.seq)
    assert sorted(t.parts_done for t in ended) == [1, 2]
    await parts.finish_split(last, redis)
    final = await stored(task.id)
    assert (final.status, final.progress, final.emails_scanned) == (TaskStatus.SUCCESS, 100, 200)
    assert final.parts_in_flight == 0 and final.reading_done


async def test_the_reaper_takes_back_only_the_lost_part(database, redis: Redis, sent) -> None:
    task = await split_task(3, state=PartState.RUNNING, parts_in_flight=3)
    stale = utcnow() - LOST
    await ScanTask.get_pymongo_collection().update_one(
        {"_id": task.id},
        {"$set": {"position.parts.p1.since": stale, "position.parts.p1.read_up_to": 150}},
    )
    assert await reap_parts(utcnow(), redis) >= 1
    after = await stored(task.id)
    assert after.position is not None
    marks = after.position.parts
    assert (marks["p1"].state, marks["p1"].attempt, marks["p1"].read_up_to) == (
        PartState.QUEUED,
        2,
        150,
    )
    assert {(k, marks[k].state, marks[k].attempt) for k in ("p0", "p2")} == {
        ("p0", PartState.RUNNING, 1),
        ("p2", PartState.RUNNING, 1),
    }
    assert (task.id, "p1", 2) in sent
    # Taken back once, however many reapers run.
    await asyncio.gather(reap_parts(utcnow(), redis), reap_parts(utcnow(), redis))
    assert sent.count((task.id, "p1", 2)) == 1


async def test_a_part_lost_too_often_fails_the_scan(database, redis: Redis, sent) -> None:
    task = await split_task(2, state=PartState.RUNNING)
    await ScanTask.get_pymongo_collection().update_one(
        {"_id": task.id},
        {
            "$set": {
                "position.parts.p0.since": utcnow() - LOST,
                "position.parts.p0.attempt": settings.TASK_MAX_ATTEMPTS,
            }
        },
    )
    await reap_parts(utcnow(), redis)
    final = await stored(task.id)
    assert (final.status, final.error) == (
        TaskStatus.FAILURE,
        parts_lost(settings.TASK_MAX_ATTEMPTS),
    )


async def test_a_lost_part_message_is_sent_again(database, redis: Redis, sent, monkeypatch) -> None:
    task = await split_task(2, state=PartState.QUEUED, parts_in_flight=2)
    quiet = utcnow() - timedelta(seconds=parts.LOST_MESSAGE_SECONDS + 1)
    await ScanTask.get_pymongo_collection().update_one(
        {"_id": task.id}, {"$set": {"position.parts.p0.since": quiet}}
    )
    # While messages wait in the queue, a QUEUED part may just be waiting its turn.
    monkeypatch.setattr(part_reaper, "queue_is_empty", _answer(False))
    await reap_parts(utcnow(), redis)
    assert sent == []
    # With the queue empty, nobody will ever take its message: it was lost (Redis restarted).
    monkeypatch.setattr(part_reaper, "queue_is_empty", _answer(True))
    await reap_parts(utcnow(), redis)
    assert sent == [(task.id, "p0", 1)]


async def test_every_part_read_but_not_ended_is_ended(database, redis: Redis, sent) -> None:
    task = await split_task(2, state=PartState.DONE, parts_done=2)
    await ScanTask.get_pymongo_collection().update_one(
        {"_id": task.id}, {"$set": {"heartbeat_at": utcnow() - LOST}}
    )
    await reap_parts(utcnow(), redis)
    assert (await stored(task.id)).status is TaskStatus.SUCCESS


def _answer(value: bool) -> Any:
    async def answer() -> bool:
        return value

    return answer


async def test_part_messages_wait_behind_whole_scans_in_kombus_lists(redis_url: str) -> None:
    """The seam to kombu's Redis transport (tasks/queue_depth.py): a message of the default
    priority lands in the list named like its queue, a part's in another list of the same
    queue, which a worker pops after it; a passive declare counts both."""
    queue = f"seam-{uuid.uuid4().hex[:8]}"
    client = Redis.from_url(redis_url)
    try:
        await asyncio.to_thread(app.send_task, "seam.whole", queue=queue)
        await asyncio.to_thread(app.send_task, "seam.part", queue=queue, priority=PART_PRIORITY)
        assert await client.llen(queue) == 1
        with app.connection_for_read() as connection:
            channel = connection.default_channel
            assert channel.queue_declare(queue, passive=True).message_count == 2
            names = [channel._q_for_pri(queue, step) for step in channel.priority_steps]
        assert names[0] == queue and names.index(channel._q_for_pri(queue, PART_PRIORITY)) > 0
        assert await client.llen(channel._q_for_pri(queue, PART_PRIORITY)) == 1
    finally:
        await client.aclose()


async def test_a_part_run_taken_back_cannot_fail_the_scan(database, redis: Redis) -> None:
    task = await split_task(2, state=PartState.RUNNING)
    old_run = PartRecorder(task, "p0", redis)
    await ScanTask.get_pymongo_collection().update_one(
        {"_id": task.id}, {"$set": {"position.parts.p0.attempt": 2}}
    )
    await fail_scan(old_run, redis, "Fetching messages failed: timed out")
    assert (await stored(task.id)).status is TaskStatus.PROGRESS
    # The run that holds its part does fail the scan: a part left unread leaves it incomplete.
    await fail_scan(PartRecorder(task, "p1", redis), redis, "Fetching messages failed: timed out")
    final = await stored(task.id)
    assert (final.status, final.error) == (
        TaskStatus.FAILURE,
        "Fetching messages failed: timed out",
    )


async def test_a_task_read_to_its_end_but_not_ended_is_ended(database, redis: Redis) -> None:
    task = await split_task(1, state=PartState.DONE, parts_done=1, reading_done=True)
    await ScanTask.get_pymongo_collection().update_one(
        {"_id": task.id}, {"$set": {"heartbeat_at": utcnow() - LOST}}
    )
    assert await end_unended(utcnow() - LOST + timedelta(seconds=1), redis) == 1
    assert (await stored(task.id)).status is TaskStatus.SUCCESS
