"""One event loop, MongoDB client and Redis client per worker process, made on first use.

Celery's prefork pool runs tasks synchronously in child processes; the scan code is async
(Beanie, redis.asyncio). Keeping the loop and its clients for the life of the child avoids
reconnecting for every task; they are made after the fork, never inherited from the parent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from core.database import connect_database
from core.settings import settings


class WorkerRuntime:
    """The loop and connections of the current worker process."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.mongo: AsyncMongoClient = self.loop.run_until_complete(connect_database())
        self.redis = Redis.from_url(settings.REDIS_URL)
        # The broker's own Redis (often the same server): a split scan's part asks it whether
        # other scans wait in the queue (tasks/parts.py).
        self.broker = Redis.from_url(settings.broker_url)


_runtime: WorkerRuntime | None = None


def runtime() -> WorkerRuntime:
    """The current process's runtime, created on first call."""
    global _runtime
    if _runtime is None:
        _runtime = WorkerRuntime()
    return _runtime


def run[T](coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to completion on this process's loop."""
    return runtime().loop.run_until_complete(coro)
