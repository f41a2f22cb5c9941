"""Admin views: statistics computed by MongoDB aggregation, and the health of every component."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from enum import Enum
from typing import Any

import strawberry
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from models import ScanTask
from models.enums import TERMINAL_STATUSES, TaskStatus
from tasks.celery_app import SCAN_QUEUE, app
from tasks.queue_depth import messages_waiting

INSPECT_TIMEOUT_SECONDS = 1.0
PING_TIMEOUT_SECONDS = 2.0


@strawberry.type(description="How many tasks have one status.")
class StatusCount:
    status: TaskStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="Tasks with it.")


@strawberry.type(description="Statistics over every scan task.")
class ScanningStats:
    total: int = strawberry.field(description="All tasks.")
    by_status: list[StatusCount] = strawberry.field(description="Tasks per status.")
    success_rate: float | None = strawberry.field(
        description="SUCCESS / finished tasks; null when nothing finished."
    )
    average_duration_seconds: float | None = strawberry.field(
        description="Mean run time of finished tasks that ran."
    )
    invoices_found: int = strawberry.field(description="Invoices found by all tasks.")
    emails_scanned: int = strawberry.field(description="Messages read by all tasks.")


@strawberry.enum(
    description="Overall state: OK, DEGRADED (no worker consumes the scan queue), DOWN (a store "
    "is down)."
)
class HealthStatus(Enum):
    OK = "OK"
    DEGRADED = "DEGRADED"
    DOWN = "DOWN"


@strawberry.type(description="One backing service.")
class ComponentHealth:
    ok: bool = strawberry.field(description="It answered a ping.")
    latency_ms: float | None = strawberry.field(description="Ping round trip.")
    error: str | None = strawberry.field(description="Why it is not ok.")


@strawberry.type(description="A live Celery worker.")
class WorkerInfo:
    hostname: str = strawberry.field(description="Celery node name.")
    active_tasks: int = strawberry.field(description="Tasks it runs now.")
    concurrency: int | None = strawberry.field(description="Its pool size.")


@strawberry.type(description="The health of the service and what it depends on.")
class SystemHealth:
    status: HealthStatus = strawberry.field(description="The overall state.")
    redis: ComponentHealth = strawberry.field(description="Redis (broker and pub/sub).")
    mongodb: ComponentHealth = strawberry.field(description="MongoDB.")
    workers: list[WorkerInfo] = strawberry.field(description="Workers that answered within 1 s.")
    queued_tasks: int = strawberry.field(
        description="Messages waiting in the email_scanning queue."
    )


async def scanning_stats() -> ScanningStats:
    """Counts and sums by status, and the mean duration, each one aggregation in MongoDB."""
    collection = ScanTask.get_pymongo_collection()
    by_status = await (
        await collection.aggregate(
            [
                {
                    "$group": {
                        "_id": "$status",
                        "count": {"$sum": 1},
                        "invoices": {"$sum": "$invoices_found"},
                        "emails": {"$sum": "$emails_scanned"},
                    }
                },
            ]
        )
    ).to_list()
    durations = await (
        await collection.aggregate(
            [
                {
                    "$match": {
                        "status": {"$in": [s.value for s in TERMINAL_STATUSES]},
                        "actual_duration_seconds": {"$type": "number"},
                    }
                },
                {"$group": {"_id": None, "average": {"$avg": "$actual_duration_seconds"}}},
            ]
        )
    ).to_list()
    counts = {TaskStatus(row["_id"]): int(row["count"]) for row in by_status}
    finished = sum(counts.get(status, 0) for status in TERMINAL_STATUSES)
    return ScanningStats(
        total=sum(counts.values()),
        by_status=[StatusCount(status=s, count=counts.get(s, 0)) for s in TaskStatus],
        success_rate=counts.get(TaskStatus.SUCCESS, 0) / finished if finished else None,
        average_duration_seconds=durations[0]["average"] if durations else None,
        invoices_found=sum(int(row["invoices"]) for row in by_status),
        emails_scanned=sum(int(row["emails"]) for row in by_status),
    )


async def system_health(redis: Redis, mongo: AsyncMongoClient[Any]) -> SystemHealth:
    """Ping both stores, ask the workers (at most 1 s) and count the queue, all at once."""
    redis_health, mongo_health, (workers, scanning), queued = await asyncio.gather(
        _ping(redis.ping()),
        _ping(mongo.admin.command("ping")),
        _live_workers(),
        asyncio.to_thread(messages_waiting),
    )
    if not (redis_health.ok and mongo_health.ok):
        status = HealthStatus.DOWN
    else:
        status = HealthStatus.OK if scanning else HealthStatus.DEGRADED
    return SystemHealth(
        status=status,
        redis=redis_health,
        mongodb=mongo_health,
        workers=workers,
        queued_tasks=queued,
    )


async def _ping(call: Awaitable[object]) -> ComponentHealth:
    began = time.perf_counter()
    try:
        await asyncio.wait_for(call, PING_TIMEOUT_SECONDS)
    except Exception as exc:  # any failure is what this reports, not a reason to fail
        return ComponentHealth(ok=False, latency_ms=None, error=type(exc).__name__)
    return ComponentHealth(
        ok=True, latency_ms=round((time.perf_counter() - began) * 1000, 2), error=None
    )


async def _live_workers() -> tuple[list[WorkerInfo], bool]:
    """Every live worker (beat's maintenance worker too), and whether one consumes the scan
    queue: without one, scans wait."""
    # The broadcasts at once, so the whole answer waits at most INSPECT_TIMEOUT_SECONDS.
    stats, active, queues = await asyncio.gather(
        *(asyncio.to_thread(_inspect, method) for method in ("stats", "active", "active_queues"))
    )
    workers = [
        WorkerInfo(
            hostname=name,
            active_tasks=len(active.get(name) or []),
            concurrency=(stats[name].get("pool") or {}).get("max-concurrency"),
        )
        for name in sorted(stats)
    ]
    scanning = any(
        queue.get("name") == SCAN_QUEUE for consumed in queues.values() for queue in consumed or []
    )
    return workers, scanning


def _inspect(method: str) -> dict[str, Any]:
    try:
        replies = getattr(app.control.inspect(timeout=INSPECT_TIMEOUT_SECONDS), method)()
    except Exception:  # broker unreachable: the redis component already says so
        return {}
    return dict(replies or {})
