"""Worker-to-client progress latency: real scans on a real Celery worker, each followed by a
websocket subscriber (`taskProgress`).

Events carry no publish timestamp, so a plain redis-py subscriber in a thread of the bench,
listening on the same channels, stamps each event as Redis delivers it (pub/sub to a blocking
client is well under a millisecond); the websocket client stamps the same event when it arrives.
Latency is the difference, per event, matched by content (events are the task's state, stored
and published in order). It is the API's share of the path: relay, GraphQL execution, websocket.
Target: p99 under 100 ms while the scans load the machine.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import httpx
import redis

from bench.figures import LATENCY_HEADER, latency_row, percentile
from bench.scans import (
    count_running,
    drop_queued,
    fill_mailbox,
    scanning_accounts,
    start_scan,
    stop_workers,
)
from bench.stack import Stack
from tests.support.graphql import Subscription, token_for

SCANS = 12  # four at a time: a worker with concurrency 4
CONCURRENCY = 4
MESSAGES = 2000
MAILBOX = "progress@example.com"
OBSERVE_SECONDS = 90.0
TARGET_P99_MS = 100.0
QUERY = (
    "subscription($id: ID!) { taskProgress(taskId: $id) { status progress currentStatus "
    "emailsScanned invoicesFound errorCount bytesFetched } }"
)

Key = tuple[Any, ...]


def key_of(state: dict[str, Any], names: tuple[str, ...]) -> Key:
    """What tells two events of one task apart, from either side's field names."""
    return tuple(int(v) if isinstance(v, float) else v for v in (state[n] for n in names))


WS_NAMES = ("status", "progress", "currentStatus", "emailsScanned", "invoicesFound", "errorCount")
REDIS_NAMES = (
    "status",
    "progress",
    "current_status",
    "emails_scanned",
    "invoices_found",
    "error_count",
)


class RedisListener(threading.Thread):
    """Stamps every task event as Redis delivers it: task id to [(key, perf_counter)]."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.client = redis.Redis.from_url(url)
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.psubscribe("invoicescan:task:*")
        self.events: dict[str, list[tuple[Key, float]]] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            message = self.pubsub.get_message(timeout=0.2)
            if message is None:
                continue
            stamp = time.perf_counter()
            state = json.loads(message["data"])
            self.events.setdefault(state["id"], []).append((key_of(state, REDIS_NAMES), stamp))

    def stop(self) -> None:
        self.stopping.set()
        self.join()
        self.pubsub.close()
        self.client.close()


async def follow(api_url: str, user: str, task_id: str) -> list[tuple[Key, float]]:
    """The task's events as the websocket delivers them, after the snapshot, until it ends."""
    received = []
    async with Subscription(api_url, token_for(user)) as subscription:
        op = await subscription.start(QUERY, {"id": task_id})
        snapshot = True
        async for payload in subscription.messages(op):
            stamp = time.perf_counter()
            if not snapshot:
                received.append((key_of(payload["data"]["taskProgress"], WS_NAMES), stamp))
            snapshot = False
    return received


def match(
    published: list[tuple[Key, float]], delivered: list[tuple[Key, float]]
) -> tuple[list[float], int]:
    """Latency (ms) of each delivered event against the same event on Redis, in order; and how
    many delivered events had no match."""
    latencies, unmatched, at = [], 0, 0
    for key, stamp in delivered:
        found = next((i for i in range(at, len(published)) if published[i][0] == key), None)
        if found is None:
            unmatched += 1
            continue
        latencies.append((stamp - published[found][1]) * 1000)
        at = found + 1
    return latencies, unmatched


async def run(stack: Stack) -> tuple[str, bool]:
    """Run the benchmark; the markdown section and whether the target was met."""
    from core.settings import settings

    await stop_workers(stack)
    fill_mailbox(stack, MAILBOX, MESSAGES)
    users = [f"progress{n}" for n in range(SCANS)]
    listener = RedisListener(settings.REDIS_URL)
    listener.start()
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as http:
        accounts = await scanning_accounts(http, stack, users, MAILBOX)
        stack.services.start_worker("progress", concurrency=CONCURRENCY)
        followers: dict[str, asyncio.Task[list[tuple[Key, float]]]] = {}
        began = time.perf_counter()
        for user, account in accounts.items():
            task_id = await start_scan(http, user, account)
            followers[task_id] = asyncio.create_task(follow(stack.api_url, user, task_id))
        await asyncio.wait(followers.values(), timeout=OBSERVE_SECONDS)
        observed = time.perf_counter() - began
        unfinished = await count_running(list(followers))
        await drop_queued(list(followers))  # a cancel is a terminal event: the followers end
        await asyncio.wait(followers.values(), timeout=15)
    listener.stop()
    await stop_workers(stack)

    latencies: list[float] = []
    published = delivered = unmatched = 0
    for task_id, follower in followers.items():
        got = follower.result() if follower.done() else []
        found, missing = match(listener.events.get(task_id, []), got)
        latencies += found
        published += len(listener.events.get(task_id, []))
        delivered += len(got)
        unmatched += missing
    return section(latencies, published, delivered, unmatched, unfinished, observed)


def section(
    latencies: list[float],
    published: int,
    delivered: int,
    unmatched: int,
    unfinished: int,
    observed: float,
) -> tuple[str, bool]:
    p99 = percentile(latencies, 99) if latencies else float("nan")
    met = bool(latencies) and p99 < TARGET_P99_MS
    lines = [
        "## Progress latency: worker to websocket client",
        "",
        f"{SCANS} scans of the same {MESSAGES}-message mailbox, started at once, on a worker "
        f"with concurrency {CONCURRENCY}; each followed from its start by its own `taskProgress` "
        f"subscriber (websockets, as the tests use it). Per event: websocket receipt minus the "
        f"moment a plain Redis subscriber in the bench got the same event. The scans took "
        f"{observed:.0f} s{f' ({unfinished} still running then, cancelled)' if unfinished else ''}."
        f" Events published: {published}; delivered after the snapshots: {delivered} (an event "
        f"published before its subscriber's snapshot, or superseded by a newer state before it "
        f"was sent, is not)"
        f"{f', {unmatched} without a Redis match' if unmatched else ''}.",
        "",
        LATENCY_HEADER.replace("| calls |", "| events |"),
        latency_row("worker event, Redis to websocket", latencies or [float("nan")]),
        "",
        f"Target: p99 under {TARGET_P99_MS:.0f} ms: **{'met' if met else 'NOT met'}** "
        f"(p99 {p99:.1f} ms).",
    ]
    return "\n".join(lines), met
