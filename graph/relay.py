"""The API's side of progress events: broadcaster with our Redis backend, and per subscriber the
newest state of each task instead of an unbounded queue.

Every event carries a task's full state, so a subscriber that reads slowly loses nothing by
skipping an intermediate state: it gets the newest one. A subscriber's pending updates are thus
bounded by the tasks it follows; one following so many tasks that MAX_PENDING_TASKS of them wait
is too slow, and is closed with RATE_LIMITED instead of growing memory. Events are parsed once
per event, not once per subscriber. After Redis comes back, subscribers get a Resync and re-read
the stored state (see relay_backend).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from broadcaster import Broadcast
from pydantic import ValidationError

from core.errors import RateLimited
from graph.relay_backend import ReconnectingRedisBackend, resync_since
from tasks.progress import TaskState

log = logging.getLogger(__name__)

MAX_PENDING_TASKS = 1000


@dataclass(frozen=True, slots=True)
class Resync:
    """Events may have been lost since `since`: re-read the stored state."""

    since: datetime


class Updates:
    """One subscriber's pending updates: the newest state per task, and whether to resync."""

    def __init__(self, capacity: int = MAX_PENDING_TASKS) -> None:
        self._capacity = capacity
        self._pending: dict[str, TaskState] = {}
        self._resync: datetime | None = None
        self._overflowed = False
        self._wakeup = asyncio.Event()

    def offer(self, state: TaskState) -> None:
        current = self._pending.get(state.id)
        if current is not None and current.seq >= state.seq:
            return
        if current is None and len(self._pending) >= self._capacity:
            self._overflowed = True
        else:
            self._pending[state.id] = state
        self._wakeup.set()

    def resync(self, since: datetime) -> None:
        self._resync = since if self._resync is None else min(self._resync, since)
        self._wakeup.set()

    async def next(self) -> TaskState | Resync:
        """The next update; raises RateLimited once the subscriber fell too far behind."""
        while True:
            if self._overflowed:
                raise RateLimited(
                    "Updates arrived faster than this client read them; subscribe again"
                )
            if self._resync is not None:
                since, self._resync = self._resync, None
                return Resync(since)
            if self._pending:
                return self._pending.pop(next(iter(self._pending)))
            self._wakeup.clear()
            await self._wakeup.wait()


class Relay(Broadcast):
    """broadcaster's Broadcast over ReconnectingRedisBackend, handing out `Updates`."""

    def __init__(self, url: str, **backend_options: Any) -> None:
        self.backend = ReconnectingRedisBackend(url, **backend_options)
        super().__init__(backend=self.backend)
        self._updates: dict[str, set[Updates]] = {}
        self._subscribing: dict[str, asyncio.Task[None]] = {}

    async def _listener(self) -> None:
        while True:
            event = await self._backend.next_published()
            try:
                self._deliver(event.channel, event.message)
            except Exception:  # one bad event must not stop every subscriber's updates
                log.exception("relay: could not deliver an event on %s", event.channel)

    def _deliver(self, channel: str, message: str) -> None:
        subscribers = self._updates.get(channel)
        if not subscribers:
            return
        since = resync_since(message)
        if since is not None:
            for updates in subscribers:
                updates.resync(since)
            return
        try:
            state = TaskState.model_validate_json(message)
        except ValidationError:
            log.warning("relay: ignored a malformed event on %s", channel)
            return
        for updates in subscribers:
            updates.offer(state)

    @asynccontextmanager
    async def updates(self, channel: str) -> AsyncIterator[Updates]:
        """Follow `channel`; on entry, Redis has confirmed the subscription (when it answers),
        so a snapshot read next misses no event."""
        updates = Updates()
        subscribers = self._updates.setdefault(channel, set())
        subscribers.add(updates)
        try:
            if channel not in self._subscribing:
                self._subscribing[channel] = asyncio.create_task(self.backend.subscribe(channel))
            await asyncio.shield(self._subscribing[channel])
            yield updates
        finally:
            subscribers.discard(updates)
            if not subscribers:
                del self._updates[channel]
                self._subscribing.pop(channel, None)
                await self.backend.unsubscribe(channel)


_reads_in_flight: dict[Hashable, asyncio.Future[Any]] = {}


async def shared_read[T](key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
    """Run `read` once for every caller asking with the same `key` while it runs: after an
    outage, thousands of subscribers re-read the same task at once."""
    future = _reads_in_flight.get(key)
    if future is None:
        future = asyncio.ensure_future(read())
        _reads_in_flight[key] = future
        future.add_done_callback(lambda _: _reads_in_flight.pop(key, None))
    result: T = await asyncio.shield(future)
    return result
