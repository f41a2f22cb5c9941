"""Fan-out: one task's progress events relayed to 100, 1,000 and 5,000 websocket subscribers held
by ONE API process.

Every subscriber follows the same task with `taskProgress`, over its own graphql-transport-ws
connection, as a frontend tab does. The bench stores one PROGRESS ScanTask and publishes synthetic
`TaskState` events for it straight to Redis (`tasks.progress.publish_task_state`, as a worker
does) at EVENTS_PER_SECOND; each carries its send time, so each client measures publish-to-receipt
latency of what it received. The relay may skip stale intermediate events for a slow subscriber
(each event carries the full state), so the figures are the latency of what arrives and the
events each client got per second; every client must still get the last state.

The subscribers live in FLEETS separate processes (bench/ws_fleet.py), so the client side is not
one event loop; the CPU that each side used in the window is reported, since on this 2-CPU
machine clients and API share the cores. Memory per subscriber is the API's RSS growth over the
subscribers added (connections kept open from one size to the next).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

from bench.figures import percentile
from bench.fleets import Fleets
from bench.procstat import CpuMeter, child_pid, open_files_limit, rss_bytes
from bench.stack import Stack
from tests.support.graphql import token_for

SIZES = (100, 1000, 5000)
TARGET_P99_MS = {1000: 250.0, 5000: 1000.0}
FLEETS = 4
HANDSHAKES_IN_FLIGHT = 25  # per fleet process; uvicorn's listen backlog is 2048
EVENTS_PER_SECOND = 10
WINDOW_SECONDS = 10.0
DRAIN_SECONDS = 60.0
SPARE_FILES = 200  # the API's own files: Redis, the store, logs, the listening socket
USER = "fanout"
QUERY = (
    "subscription($id: ID!) { taskProgress(taskId: $id) "
    "{ id status progress currentStatus emailsScanned emailsTotal invoicesFound } }"
)


@dataclass
class SizeResult:
    """What one size measured."""

    size: int
    connected: int
    connect_seconds: float
    failures: dict[str, int]
    rss_before: int
    rss_after: int
    rss_after_window: int
    latencies: list[float]
    rates: list[float]
    caught_up: int
    drain_seconds: float
    cpu: dict[str, float]

    @property
    def met(self) -> bool | None:
        target = TARGET_P99_MS.get(self.size)
        if target is None:
            return None
        complete = self.connected == self.size and self.caught_up == self.size
        return complete and bool(self.latencies) and percentile(self.latencies, 99) < target


async def store_task() -> str:
    """A PROGRESS task of USER that nothing else touches; its events come from the bench."""
    from models import ScanTask
    from models.email_account import utcnow
    from models.enums import ScanType, TaskStatus

    now = utcnow()
    task = ScanTask(
        id=str(uuid.uuid4()),
        account_id=uuid.uuid4().hex[:24],
        user_id=USER,
        scan_type=ScanType.INBOX,
        months=3,
        status=TaskStatus.PROGRESS,
        current_status="Processing emails",
        emails_total=1_000_000,
        started_at=now,
        heartbeat_at=now,
    )
    await task.insert()
    return task.id


class Publisher:
    """Publishes the task's events at a steady rate, as a worker would, with rising seq."""

    def __init__(self, task_id: str) -> None:
        from redis.asyncio import Redis

        from core.settings import settings

        self.redis = Redis.from_url(settings.REDIS_URL)
        self.task_id = task_id
        self.seq = 0

    async def run(self, seconds: float) -> float:
        """Publish for `seconds`; the seconds it really took."""
        from models import ScanTask
        from tasks.progress import TaskState, publish_task_state

        task = await ScanTask.get(self.task_id)
        assert task is not None
        state = TaskState.from_document(task)
        began = time.perf_counter()
        for n in range(round(seconds * EVENTS_PER_SECOND)):
            await asyncio.sleep(max(0.0, began + n / EVENTS_PER_SECOND - time.perf_counter()))
            self.seq += 1
            event = state.model_copy(
                update={
                    "seq": self.seq,
                    "emails_scanned": self.seq,
                    "current_status": f"bench {self.seq} {time.time():.6f}",
                }
            )
            await publish_task_state(self.redis, event)
        return time.perf_counter() - began + 1 / EVENTS_PER_SECOND

    async def close(self) -> None:
        await self.redis.aclose()


async def keep_heartbeat(task_id: str) -> None:
    """Keep the stored task's heartbeat fresh, so no reaper takes it for a dead worker's."""
    from models import ScanTask
    from models.email_account import utcnow

    collection = ScanTask.get_pymongo_collection()
    while True:
        await collection.update_one({"_id": task_id}, {"$set": {"heartbeat_at": utcnow()}})
        await asyncio.sleep(5)


async def wait_caught_up(fleets: Fleets, seq: int, size: int) -> tuple[int, float]:
    """Wait until every subscriber saw `seq` (or DRAIN_SECONDS pass): how many did, how long."""
    began = time.perf_counter()
    while True:
        caught_up = sum(a["caught_up"] for a in await fleets.each("progress", seq=seq))
        waited = time.perf_counter() - began
        if caught_up >= size or waited > DRAIN_SECONDS:
            return caught_up, waited
        await asyncio.sleep(0.2)


async def measure_size(
    fleets: Fleets, publisher: Publisher, api_pid: int, meter: CpuMeter, size: int, held: int
) -> SizeResult:
    """Grow the subscribers from `held` to `size`, then publish for the window and drain."""
    rss_before = rss_bytes(api_pid)
    began = time.perf_counter()
    opened = await fleets.open(size - held, HANDSHAKES_IN_FLIGHT)
    connect_seconds = time.perf_counter() - began
    connected = sum(answer["open"] for answer in opened)
    failures: dict[str, int] = {}
    for answer in opened:
        for name, count in answer["failures"].items():
            failures[name] = failures.get(name, 0) + count
    await asyncio.sleep(2)  # let the API settle after the handshakes
    rss_after = rss_bytes(api_pid)
    await fleets.each("reset")
    meter.start(time.perf_counter())
    window = await publisher.run(WINDOW_SECONDS)
    caught_up, drain_seconds = await wait_caught_up(fleets, publisher.seq, connected)
    cpu = meter.stop(time.perf_counter())
    stats = await fleets.each("stats")
    return SizeResult(
        size=size,
        connected=connected,
        connect_seconds=connect_seconds,
        failures=failures,
        rss_before=rss_before,
        rss_after=rss_after,
        rss_after_window=rss_bytes(api_pid),
        latencies=[value for answer in stats for value in answer["latencies"]],
        rates=[count / window for answer in stats for count in answer["counts"]],
        caught_up=caught_up,
        drain_seconds=drain_seconds,
        cpu=cpu,
    )


async def end_task(task_id: str) -> None:
    from models import ScanTask
    from models.enums import TaskStatus

    await ScanTask.apply_changes(task_id, {"status": TaskStatus.CANCELLED})


async def run(stack: Stack) -> tuple[str, bool]:
    """Run the benchmark; the markdown section and whether the targets were met."""
    from bench.fanout_report import section

    api_pid = child_pid(stack.services, "api")
    files = open_files_limit(api_pid)
    task_id = await store_task()
    heartbeat = asyncio.create_task(keep_heartbeat(task_id))
    ws_url = stack.api_url.replace("http://", "ws://") + "/graphql"
    fleets = await Fleets.start(FLEETS, ws_url, token_for(USER), QUERY, {"id": task_id})
    publisher = Publisher(task_id)
    meter = CpuMeter(
        {"api": [api_pid], "clients": fleets.pids, "redis": [child_pid(stack.services, "redis")]}
    )
    results: list[SizeResult] = []
    held = 0
    try:
        for size in SIZES:
            if size + SPARE_FILES > files:
                break  # reported as not measured: the API could not hold that many sockets
            results.append(await measure_size(fleets, publisher, api_pid, meter, size, held))
            held = results[-1].connected
    finally:
        heartbeat.cancel()
        await fleets.stop()
        await publisher.close()
        await end_task(task_id)
    return section(results, SIZES, files)
