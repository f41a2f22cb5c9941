"""The API's side of progress events: broadcaster with our Redis backend, and per subscriber the
newest state of each task instead of an unbounded queue.

Every event carries a task's full state, so a subscriber that reads slowly loses nothing by
skipping an intermediate state: it gets the newest one. A subscriber's pending updates are thus
bounded by the tasks it follows; one following so many tasks that MAX_PENDING_TASKS of them wait
is too slow, and is closed with RATE_LIMITED instead of growing memory. Events are parsed once
per event, not once per subscriber. After Redis comes back, subscribers get a Resync and re-read
the stored state (see relay_backend). A subscriber may also ask to hear when nothing arrived for
a while (Quiet), to re-read the store on its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from broadcaster import Broadcast, Event
from pydantic import ValidationError

from core.errors import RateLimited
from graph.relay_backend import ReconnectingRedisBackend, resync_since
from tasks.progress import TaskState

log = logging.getLogger(__name__)

MAX_PENDING_TASKS = 1000
# Before handing events out, the listener lets the loop turn until SETTLE_QUIET_TURNS turns in a
# row brought nothing new, and at most SETTLE_TURNS_MAX turns (see Relay._settle).
SETTLE_QUIET_TURNS = 2
SETTLE_TURNS_MAX = 10


@dataclass(frozen=True, slots=True)
class Resync:
    """Events may have been lost since `since`: re-read the stored state."""

    since: datetime


@dataclass(frozen=True, slots=True)
class Quiet:
    """Nothing arrived for the subscriber's `quiet_after` seconds."""


class Updates:
    """One subscriber's pending updates: the newest state per task, whether to resync, and,
    with `quiet_after`, whether it has been quiet for that long."""

    def __init__(self, capacity: int = MAX_PENDING_TASKS, quiet_after: float | None = None) -> None:
        self._capacity = capacity
        self._pending: dict[str, TaskState] = {}
        self._resync: datetime | None = None
        self._overflowed = False
        self._wakeup = asyncio.Event()
        self._quiet = False
        self._quiet_after = quiet_after
        self._last_handed = 0.0
        self._quiet_timer: asyncio.TimerHandle | None = None
        if quiet_after is not None:
            loop = asyncio.get_running_loop()
            self._last_handed = loop.time()
            self._quiet_timer = loop.call_at(self._last_handed + quiet_after, self._check)

    def _check(self) -> None:
        # One timer per subscriber, moved only when it fires: a timeout around every next()
        # would push and cancel a timer per event and subscriber, a cost that shows at fan-out.
        assert self._quiet_after is not None
        loop = asyncio.get_running_loop()
        due = self._last_handed + self._quiet_after
        if loop.time() >= due:
            self._quiet = True
            self._wakeup.set()
            due = loop.time() + self._quiet_after
        self._quiet_timer = loop.call_at(due, self._check)

    def close(self) -> None:
        if self._quiet_timer is not None:
            self._quiet_timer.cancel()

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

    async def next(self) -> TaskState | Resync | Quiet:
        """The next update; raises RateLimited once the subscriber fell too far behind."""
        item = await self._next()
        if self._quiet_after is not None:
            self._quiet = False  # whatever is handed out, the subscriber just heard something
            self._last_handed = asyncio.get_running_loop().time()
        return item

    async def _next(self) -> TaskState | Resync | Quiet:
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
            if self._quiet:
                return Quiet()
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
            batch = [await self.backend.next_published()]
            batch += await self._settle()
            try:
                self._deliver(batch)
            except Exception:  # one bad batch must not stop every subscriber's updates
                log.exception("relay: could not deliver %d events", len(batch))

    async def _settle(self) -> list[Event]:
        """The events that reach the backend while the loop turns a few times with nothing else
        to do. An offer wakes every subscriber of a channel, and they all run in the loop's next
        turn (at 5,000 subscribers, a third of a second of CPU). Events that were already in the
        socket but not yet read would wait for that turn and then one more; taking them first
        lets one turn carry the newest state (bench/fanout.py)."""
        settled: list[Event] = []
        quiet_turns = 0
        for _ in range(SETTLE_TURNS_MAX):
            await asyncio.sleep(0)
            more = self.backend.take_published()
            settled += more
            quiet_turns = 0 if more else quiet_turns + 1
            if quiet_turns == SETTLE_QUIET_TURNS:
                break
        return settled

    def _deliver(self, batch: list[Event]) -> None:
        """Hand each subscriber of a channel the newest state of each task in `batch`, once,
        and a Resync for a channel whose connection was lost."""
        newest: dict[tuple[str, str], TaskState] = {}
        for event in batch:
            subscribers = self._updates.get(event.channel)
            if not subscribers:
                continue
            since = resync_since(event.message)
            if since is not None:
                for updates in subscribers:
                    updates.resync(since)
                continue
            try:
                state = TaskState.model_validate_json(event.message)
            except ValidationError:
                log.warning("relay: ignored a malformed event on %s", event.channel)
                continue
            known = newest.get((event.channel, state.id))
            if known is None or state.seq > known.seq:
                newest[(event.channel, state.id)] = state
        for (channel, _), state in newest.items():
            for updates in self._updates.get(channel, ()):
                updates.offer(state)

    @asynccontextmanager
    async def updates(
        self, channel: str, quiet_after: float | None = None
    ) -> AsyncIterator[Updates]:
        """Follow `channel`; on entry, Redis has confirmed the subscription (when it answers),
        so a snapshot read next misses no event. With `quiet_after`, the updates include a
        Quiet after that many seconds without any."""
        updates = Updates(quiet_after=quiet_after)
        subscribers = self._updates.setdefault(channel, set())
        subscribers.add(updates)
        try:
            if channel not in self._subscribing:
                self._subscribing[channel] = asyncio.create_task(self.backend.subscribe(channel))
            await asyncio.shield(self._subscribing[channel])
            yield updates
        finally:
            updates.close()
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
