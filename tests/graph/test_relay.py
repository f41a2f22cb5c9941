"""The relay against a Redis of its own: confirmed subscriptions, the newest state per task,
a bound on what waits, and Resync after Redis restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from broadcaster import Event
from redis.asyncio import Redis

from core.errors import RateLimited
from graph.relay import Quiet, Relay, Resync, Updates, shared_read
from tasks.progress import TaskState
from tests.support.proxy import StallingProxy
from tests.support.services import Services, free_port

CHANNEL = "invoicescan:task:t1"


def state(seq: int, task_id: str = "t1", status: str = "PROGRESS") -> str:
    now = datetime.now(UTC).isoformat()
    return (
        f'{{"id": "{task_id}", "account_id": "a", "user_id": "u", "scan_type": "INBOX", '
        f'"months": 1, "status": "{status}", "progress": {seq}, "current_status": "x", '
        f'"emails_total": 100, "emails_scanned": {seq}, "invoices_found": 0, "error_count": 0, '
        f'"error": null, "bytes_fetched": 0, "estimated_duration_seconds": null, '
        f'"actual_duration_seconds": null, "created_at": "{now}", "started_at": null, '
        f'"finished_at": null, "seq": {seq}}}'
    )


@pytest.fixture
def own_redis(services: Services) -> Iterator[tuple[Services, int]]:
    """A redis-server only this test talks to, so restarting it disturbs nobody else."""
    port = free_port()
    own = Services(services.base / f"relay-redis-{port}")
    own.base.mkdir(parents=True, exist_ok=True)
    own.start_redis(port)
    yield own, port
    own.stop()


@pytest.fixture
async def relay(own_redis: tuple[Services, int]) -> AsyncIterator[Relay]:
    _, port = own_redis
    running = Relay(f"redis://127.0.0.1:{port}/0")
    await running.connect()
    yield running
    await running.disconnect()


async def test_events_published_after_subscribing_arrive(
    relay: Relay, own_redis: tuple[Services, int]
) -> None:
    publisher = Redis(port=own_redis[1])
    async with relay.updates(CHANNEL) as updates:
        # No sleep: on entry Redis has confirmed the SUBSCRIBE.
        await publisher.publish(CHANNEL, state(1))
        received = await asyncio.wait_for(updates.next(), 5)
    await publisher.aclose()
    assert isinstance(received, TaskState) and received.seq == 1


async def test_events_that_are_not_json_or_not_utf8_are_ignored(
    relay: Relay, own_redis: tuple[Services, int]
) -> None:
    publisher = Redis(port=own_redis[1])
    async with relay.updates(CHANNEL) as updates:
        for junk in (b"\xff\xfe\x00", b"{not json", b'{"id": "t1"}'):
            await publisher.publish(CHANNEL, junk)
        await publisher.publish(CHANNEL, state(2))
        received = await asyncio.wait_for(updates.next(), 5)
    await publisher.aclose()
    assert isinstance(received, TaskState) and received.seq == 2
    assert relay.backend.reconnects == 0


async def test_a_restart_of_redis_resyncs_then_events_flow_again(
    relay: Relay, own_redis: tuple[Services, int]
) -> None:
    services, port = own_redis
    async with relay.updates(CHANNEL) as updates:
        before = datetime.now(UTC)
        await asyncio.to_thread(services.restart_redis, port)
        item = await asyncio.wait_for(updates.next(), 15)
        assert isinstance(item, Resync) and item.since >= before
        publisher = Redis(port=port)
        await publisher.publish(CHANNEL, state(7, status="SUCCESS"))
        after = await asyncio.wait_for(updates.next(), 5)
        await publisher.aclose()
    assert isinstance(after, TaskState) and (after.seq, after.status.value) == (7, "SUCCESS")
    assert relay.backend.reconnects == 1


async def test_events_received_in_the_next_turns_go_out_in_the_same_offer(relay: Relay) -> None:
    # At fan-out an offer starts a long turn of the loop (every subscriber runs); an event the
    # backend receives just after it would wait for that turn and one more. The relay lets the
    # loop turn first, so the newest state of all that arrived goes out at once.
    def receive(seq: int) -> None:
        relay.backend._events.put_nowait(Event(CHANNEL, state(seq)))

    async with relay.updates(CHANNEL) as updates:
        loop = asyncio.get_running_loop()
        receive(1)
        loop.call_soon(loop.call_soon, receive, 2)  # two turns of the loop later
        loop.call_soon(loop.call_soon, loop.call_soon, receive, 3)
        first = await asyncio.wait_for(updates.next(), 5)
        assert isinstance(first, TaskState) and first.seq == 3
        with pytest.raises(TimeoutError):  # and nothing older after it
            await asyncio.wait_for(updates.next(), 0.2)


async def test_a_connection_gone_silent_is_replaced(own_redis: tuple[Services, int]) -> None:
    # Redis stops answering but no connection closes (a peer gone, a NAT entry dropped): the
    # backend hears nothing of its keepalive, connects again, and subscribers re-read.
    proxy = StallingProxy("127.0.0.1", own_redis[1])
    relay = Relay(f"redis://127.0.0.1:{await proxy.start()}/0", health_check_seconds=0.5)
    await relay.connect()
    try:
        async with relay.updates(CHANNEL) as updates:
            before = datetime.now(UTC)
            proxy.stalled.set()  # from now on, hold every answer of Redis
            await asyncio.sleep(3)  # past three silent keepalive checks of 0.5 s
            proxy.release()
            item = await asyncio.wait_for(updates.next(), 10)
        assert isinstance(item, Resync) and item.since >= before
        assert relay.backend.reconnects >= 1
    finally:
        await relay.disconnect()
        await proxy.close()


def test_a_slow_subscriber_gets_the_newest_state_per_task() -> None:

    updates = Updates(capacity=2)
    for seq in (3, 1, 5, 4):
        updates.offer(TaskState.model_validate_json(state(seq)))
    updates.offer(TaskState.model_validate_json(state(2, task_id="t2")))
    taken = asyncio.run(_take(updates, 2))
    assert [(s.id, s.seq) for s in taken if isinstance(s, TaskState)] == [("t1", 5), ("t2", 2)]


def test_a_subscriber_too_far_behind_is_closed() -> None:

    updates = Updates(capacity=2)
    for task_id in ("t1", "t2", "t3"):
        updates.offer(TaskState.model_validate_json(state(1, task_id=task_id)))
    with pytest.raises(RateLimited):
        asyncio.run(_take(updates, 1))


async def test_shared_read_runs_once_for_concurrent_callers() -> None:
    calls = 0

    async def read() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return 42

    results = await asyncio.gather(*(shared_read("k", read) for _ in range(100)))
    assert results == [42] * 100 and calls == 1


async def test_quiet_comes_only_after_that_long_without_any_update() -> None:
    updates = Updates(quiet_after=0.3)
    loop = asyncio.get_running_loop()
    began = loop.time()
    for seq in (1, 2, 3):  # an update every 0.2 s keeps it from being quiet
        await asyncio.sleep(0.2)
        updates.offer(TaskState.model_validate_json(state(seq)))
        assert isinstance(await asyncio.wait_for(updates.next(), 1), TaskState)
    assert isinstance(await asyncio.wait_for(updates.next(), 1), Quiet)
    assert loop.time() - began >= 0.6 + 0.3
    # Then again after another quiet stretch, not at once; an update wins over a quiet due.
    heard = loop.time()
    assert isinstance(await asyncio.wait_for(updates.next(), 1), Quiet)
    assert loop.time() - heard >= 0.29
    await asyncio.sleep(0.4)
    updates.offer(TaskState.model_validate_json(state(4)))
    assert isinstance(await updates.next(), TaskState)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(updates.next(), 0.2)
    updates.close()


async def test_without_quiet_after_nothing_comes_of_silence() -> None:
    updates = Updates()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(updates.next(), 0.5)


async def _take(updates: Updates, count: int) -> list[TaskState | Resync | Quiet]:
    return [await updates.next() for _ in range(count)]
