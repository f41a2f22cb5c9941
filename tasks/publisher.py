"""Scan messages (and those of a split scan's parts) go out over one broker connection kept open,
from one thread per process.

With Celery's settings here (`broker_pool_limit=0`, tasks/celery_app.py) every message opens a
connection of its own: about 5 ms of CPU and a new socket per startScan, and with 50 clients
the largest part of startScan's tail (p99 81 ms of a 130 ms request, bench/concurrent_clients.py).
A scan message needs no declaration to arrive: Celery sends it through the default exchange,
straight onto the `email_scanning` list, so a connection that lived through a Redis restart
(and still counts its queue declared) delivers it all the same (tests/tasks/test_celery_app.py).
Inspect's replies do need their declarations, and keep fresh connections.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from kombu import Producer

from tasks.celery_app import app
from tasks.queue_depth import PART_PRIORITY

SCAN_TASK = "scans.scan_mailbox"
PART_TASK = "scans.scan_part"


class ScanPublisher:
    """Sends scan messages; kombu connections are not thread-safe, so one thread sends them."""

    def __init__(self) -> None:
        self._pid: int | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._producer: Producer | None = None

    async def send(self, task_id: str) -> None:
        """Queue the Celery message of the ScanTask `task_id`, under the same id."""
        await self._queue(SCAN_TASK, [task_id], task_id, None)

    async def send_part(self, task_id: str, part_key: str, attempt: int) -> None:
        """Queue the Celery message of one part of a split scan (tasks/parts.py)."""
        # Behind every whole scan waiting (tasks/queue_depth.py): a small scan never waits
        # for the parts of a large one.
        await self._queue(PART_TASK, [task_id, part_key, attempt], None, PART_PRIORITY)

    async def _queue(
        self, name: str, args: list[object], celery_id: str | None, priority: int | None
    ) -> None:
        await asyncio.get_running_loop().run_in_executor(
            self._sender(), self._send, name, args, celery_id, priority
        )

    def _sender(self) -> ThreadPoolExecutor:
        if self._pid != os.getpid() or self._thread is None:
            # First use, or a forked child (a worker's pool process): neither the parent's
            # thread nor its socket came along.
            self._pid = os.getpid()
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scan-publisher")
            self._producer = None
        return self._thread

    def _send(
        self, name: str, args: list[object], celery_id: str | None, priority: int | None
    ) -> None:
        if self._producer is None:
            self._producer = Producer(app.connection_for_write())
        # A connection Redis dropped reconnects on its own (redis-py retries, then Celery's
        # publish retries). ignore_result: the task's own setting (task_ignore_result), which
        # send_task does not read; without it Celery would subscribe to a result channel for
        # every message.
        app.send_task(
            name,
            args=args,
            task_id=celery_id,
            producer=self._producer,
            ignore_result=True,
            priority=priority,
        )


publisher = ScanPublisher()
