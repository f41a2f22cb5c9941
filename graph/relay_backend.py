"""A broadcaster backend on Redis pub/sub that survives Redis.

broadcaster's own Redis backend never reconnects: when Redis restarts, its listener dies and
every subscriber waits forever (encode/broadcaster issue 144). This one keeps one pub/sub
connection per process, reconnects with backoff, subscribes every channel again, and then hands
the relay a RESYNC event per channel: pub/sub lost whatever was published meanwhile, so each
subscriber re-reads the stored state. `subscribe` returns only once Redis has confirmed the
SUBSCRIBE, so a snapshot read after it cannot miss an event published in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from broadcaster import Event
from broadcaster._backends.base import BroadcastBackend
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# A RESYNC event's message: the marker, then when the connection was lost (ISO 8601, UTC).
RESYNC = "\0resync\0"
# A channel of our own (per process) keeps the connection open, and its failures visible, with
# no subscriber.
KEEPALIVE_CHANNEL = "invoicescan:relay:keepalive"
BACKOFF_FIRST_SECONDS = 0.1
BACKOFF_MAX_SECONDS = 5.0
# How long `subscribe` waits for Redis to confirm; past it the channel is still subscribed on
# the next (re)connect, and the subscriber reads the snapshot without the guarantee.
CONFIRM_TIMEOUT_SECONDS = 2.0
# Every this often the backend publishes on its own keepalive channel and expects to hear it
# back; after SILENT_CHECKS intervals with nothing heard, the connection is dead without having
# said so (a peer gone, a NAT entry dropped, a proxy that holds) and is replaced.
HEALTH_CHECK_SECONDS = 5.0
SILENT_CHECKS = 3


def resync_message(lost_at: datetime) -> str:
    return RESYNC + lost_at.isoformat()


def resync_since(message: str) -> datetime | None:
    """When the connection was lost, for a RESYNC message; None for any other message."""
    if not message.startswith(RESYNC):
        return None
    return datetime.fromisoformat(message.removeprefix(RESYNC))


class ReconnectingRedisBackend(BroadcastBackend):
    """broadcaster backend: Redis pub/sub with reconnects, confirmed subscribes and RESYNC."""

    def __init__(self, url: str, *, health_check_seconds: float = HEALTH_CHECK_SECONDS) -> None:
        self._url = url
        self._health_check_seconds = health_check_seconds
        # One keepalive channel per process: API replicas do not hear each other's pings.
        self._keepalive = f"{KEEPALIVE_CHANNEL}:{uuid.uuid4().hex}"
        self._publisher = Redis.from_url(url, socket_timeout=health_check_seconds)
        self._channels: set[str] = set()
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self._pubsub: PubSub | None = None
        self._confirmations: dict[str, asyncio.Future[None]] = {}
        self._runner: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self.reconnects = 0

    async def connect(self) -> None:
        """Start listening; waits briefly for a first connection but never fails on it: the API
        starts while Redis is down and catches up when it comes back."""
        self._runner = asyncio.create_task(self._run(), name="relay-redis-listener")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), timeout=CONFIRM_TIMEOUT_SECONDS)

    async def disconnect(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        await self._publisher.aclose()

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)
        try:
            await asyncio.wait_for(self.connected.wait(), CONFIRM_TIMEOUT_SECONDS)
        except TimeoutError:
            return  # Redis is away: the next connection subscribes it, then sends RESYNC
        pubsub = self._pubsub
        if pubsub is None:
            return
        confirmed = self._confirmations.setdefault(
            channel, asyncio.get_running_loop().create_future()
        )
        try:
            await pubsub.subscribe(channel)
            await asyncio.wait_for(asyncio.shield(confirmed), CONFIRM_TIMEOUT_SECONDS)
        except (RedisError, OSError, TimeoutError):
            log.warning("relay: SUBSCRIBE %s not confirmed; it is renewed on reconnect", channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        pubsub = self._pubsub
        if pubsub is not None and self.connected.is_set():
            with contextlib.suppress(RedisError, OSError):
                await pubsub.unsubscribe(channel)
                if channel in self._channels:  # a new subscriber came while the last one left
                    await pubsub.subscribe(channel)

    async def publish(self, channel: str, message: Any) -> None:
        await self._publisher.publish(channel, message)

    async def next_published(self) -> Event:
        return await self._events.get()

    def take_published(self) -> list[Event]:
        """The events already received, without waiting."""
        taken = []
        while not self._events.empty():
            taken.append(self._events.get_nowait())
        return taken

    async def _run(self) -> None:
        backoff = BACKOFF_FIRST_SECONDS
        lost_at: datetime | None = None
        while True:
            client = Redis.from_url(
                self._url,
                health_check_interval=self._health_check_seconds,
                socket_connect_timeout=self._health_check_seconds,
            )
            pubsub = client.pubsub()
            try:
                # Redis confirms in order: once the keepalive channel, named last, is confirmed,
                # every channel before it is subscribed.
                self._pubsub = pubsub
                await pubsub.subscribe(*self._channels, self._keepalive)
                await self._listen(pubsub, lost_at)
            except Exception as exc:
                # A lost connection, or anything unforeseen: the relay serves every subscriber,
                # so whatever ends a connection ends in a reconnect and a re-read, never a stop.
                if self.connected.is_set() or lost_at is None:
                    lost_at = datetime.now(UTC)
                    if isinstance(exc, (RedisError, OSError)):
                        log.warning("relay: Redis connection lost (%s); reconnecting", exc)
                    else:
                        log.exception("relay: unexpected error; reconnecting")
                backoff = BACKOFF_FIRST_SECONDS if self.connected.is_set() else backoff
            finally:
                self.connected.clear()
                self._pubsub = None
                self._fail_confirmations()
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
                with contextlib.suppress(RedisError, OSError):
                    await client.aclose()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)

    async def _listen(self, pubsub: PubSub, lost_at: datetime | None) -> None:
        resync_pending = lost_at is not None
        interval = self._health_check_seconds
        heard = pinged = time.monotonic()
        while True:
            now = time.monotonic()
            if now - heard > SILENT_CHECKS * interval:
                raise ConnectionError(f"nothing heard from Redis for {now - heard:.0f} s")
            if self.connected.is_set() and now - pinged >= interval:
                pinged = now
                await self._publisher.publish(self._keepalive, "ping")
            message = await pubsub.get_message(timeout=min(1.0, interval))
            if message is None:
                continue
            heard = time.monotonic()
            kind, channel = message["type"], _text(message["channel"])
            if channel == self._keepalive and kind == "message":
                continue
            if kind == "subscribe":
                self._confirm(channel)
                if channel == self._keepalive and not self.connected.is_set():
                    self.connected.set()
                    if resync_pending and lost_at is not None:
                        self.reconnects += 1
                        log.info("relay: reconnected to Redis; subscribers re-read their state")
                        for subscribed in list(self._channels):
                            self._events.put_nowait(Event(subscribed, resync_message(lost_at)))
                        resync_pending = False
            elif kind == "message":
                self._events.put_nowait(Event(channel, _text(message["data"])))

    def _confirm(self, channel: str) -> None:
        future = self._confirmations.pop(channel, None)
        if future is not None and not future.done():
            future.set_result(None)

    def _fail_confirmations(self) -> None:
        # Waiting subscribers go on: the reconnect subscribes their channels and sends RESYNC.
        for future in self._confirmations.values():
            if not future.done():
                future.set_result(None)
        self._confirmations.clear()


def _text(value: bytes | str) -> str:
    # Anyone may publish on our channels: bytes that are not UTF-8 become a malformed event,
    # which the relay ignores, not an error.
    return value.decode(errors="replace") if isinstance(value, bytes) else value
