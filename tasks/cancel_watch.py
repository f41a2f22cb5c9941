"""Closing a running scan's IMAP connection the moment its task is cancelled.

A scan notices a cancel at its next write (tasks/recorder.py), but a scan blocked in one IMAP
command on a slow server writes nothing until the server answers: it held its worker as long as
the server liked. This watcher listens on the task's own channel, where the cancel publishes the
CANCELLED state (tasks/lifecycle.py), and closes the connection at once; the blocked command
then fails and the scan ends as it does on any cancel. Pub/sub loses messages while Redis is
away, so after every quiet spell the stored status is read as well.

Only the store decides: an event that says the task is not in PROGRESS is a reason to read it.
The task is this run's while it is active and its attempt is this run's: a reaper that takes it
back counts the next attempt (tasks/reaper.py; a part of a split scan taken back raises the
part's attempt, not the task's, and its old run stops at its next write, fenced by the part's),
and a PENDING read just after this run's own start is not a cancel (the embedded store may
answer a read from another connection before it shows the write that started the run).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from pymongo.errors import PyMongoError
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from models import ScanTask
from models.enums import ACTIVE_STATUSES, TaskStatus
from tasks.progress import task_channel

log = logging.getLogger(__name__)

# A running scan publishes about once a second; this long without a word, the store is asked,
# so a cancel whose event pub/sub lost still closes the connection within 2 s. One small read
# every 1.5 s, and only while a scan is silent (blocked on its server).
QUIET_SECONDS = 1.5
_PROGRESS = TaskStatus.PROGRESS.value
_ACTIVE = {status.value for status in ACTIVE_STATUSES}


@asynccontextmanager
async def stopped_on_cancel(
    task_id: str, attempt: int, redis: Redis, stop: Callable[[], None]
) -> AsyncIterator[None]:
    """Call `stop` once, from this event loop, when the task `task_id` stops being this run's
    (attempt `attempt`) while the block runs: it ended (cancelled), or the reaper took it back."""
    watcher = asyncio.create_task(
        _watch(task_id, attempt, redis, stop), name=f"cancel watch {task_id}"
    )
    try:
        yield
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def _watch(task_id: str, attempt: int, redis: Redis, stop: Callable[[], None]) -> None:
    pubsub = redis.pubsub()
    try:
        with contextlib.suppress(RedisError):  # then the store alone tells
            await pubsub.subscribe(task_channel(task_id))
        # The store is asked first: a cancel before the subscription is heard nowhere else.
        while await _ours(task_id, attempt):
            await _until_told_or_quiet(pubsub)
    finally:
        with contextlib.suppress(RedisError):
            await pubsub.aclose()
    log.info("scan %s is not this run's any more: closing its IMAP connection", task_id)
    stop()


async def _until_told_or_quiet(pubsub: PubSub) -> None:
    """Wait up to QUIET_SECONDS, less when an event says the task left PROGRESS."""
    loop = asyncio.get_running_loop()
    until = loop.time() + QUIET_SECONDS
    try:
        while (left := until - loop.time()) > 0:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if message is not None and _status_of(message["data"]) != _PROGRESS:
                return
    except (RedisError, RuntimeError):  # RuntimeError: never subscribed (Redis was away)
        await asyncio.sleep(max(0.0, until - loop.time()))


def _status_of(data: bytes | str) -> str:
    try:
        return str(json.loads(data)["status"])
    except (TypeError, ValueError, KeyError):
        return _PROGRESS  # not a state event: nothing to act on


async def _ours(task_id: str, attempt: int) -> bool:
    """Whether the stored task is still this run's: active, in attempt `attempt`."""
    try:
        stored = await ScanTask.get_pymongo_collection().find_one(
            {"_id": task_id}, {"status": 1, "attempt": 1}
        )
    except PyMongoError:  # asked again after the next quiet spell
        log.warning("cancel watch of %s could not read the task", task_id, exc_info=True)
        return True
    return (
        stored is not None
        and stored.get("status") in _ACTIVE
        and (stored.get("attempt") or 1) == attempt
    )
