"""Closing a running scan's IMAP connection the moment its task is cancelled.

A scan notices a cancel at its next write (tasks/recorder.py), but a scan blocked in one IMAP
command on a slow server writes nothing until the server answers: it held its worker as long as
the server liked. This watcher listens on the task's own channel, where the cancel publishes the
CANCELLED state (tasks/lifecycle.py), and closes the connection at once; the blocked command
then fails and the scan ends as it does on any cancel. Pub/sub loses messages while Redis is
away, so after every quiet spell the stored status is read as well.
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
from models.enums import TaskStatus
from tasks.progress import task_channel

log = logging.getLogger(__name__)

# A running scan publishes about once a second; this long without a word, the store is asked,
# so a cancel whose event pub/sub lost still closes the connection within 2 s. One small read
# every 1.5 s, and only while a scan is silent (blocked on its server).
QUIET_SECONDS = 1.5
_PROGRESS = TaskStatus.PROGRESS.value


@asynccontextmanager
async def stopped_on_cancel(
    task_id: str, redis: Redis, stop: Callable[[], None]
) -> AsyncIterator[None]:
    """Call `stop` once, from this event loop, when the task `task_id` leaves PROGRESS while
    the block runs (cancelled, or taken back by the reaper)."""
    watcher = asyncio.create_task(_watch(task_id, redis, stop), name=f"cancel watch {task_id}")
    try:
        yield
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def _watch(task_id: str, redis: Redis, stop: Callable[[], None]) -> None:
    pubsub = redis.pubsub()
    try:
        with contextlib.suppress(RedisError):  # then the store alone tells
            await pubsub.subscribe(task_channel(task_id))
        # The store is asked first: a cancel before the subscription is heard nowhere else.
        while await _running(task_id):
            if await _heard_stop(pubsub):
                break
    finally:
        with contextlib.suppress(RedisError):
            await pubsub.aclose()
    log.info("scan %s left PROGRESS: closing its IMAP connection", task_id)
    stop()


async def _heard_stop(pubsub: PubSub) -> bool:
    """Wait up to QUIET_SECONDS for an event saying the task left PROGRESS."""
    loop = asyncio.get_running_loop()
    until = loop.time() + QUIET_SECONDS
    try:
        while (left := until - loop.time()) > 0:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if message is not None and _status_of(message["data"]) != _PROGRESS:
                return True
    except (RedisError, RuntimeError):  # RuntimeError: never subscribed (Redis was away)
        await asyncio.sleep(max(0.0, until - loop.time()))
    return False


def _status_of(data: bytes | str) -> str:
    try:
        return str(json.loads(data)["status"])
    except (TypeError, ValueError, KeyError):
        return _PROGRESS  # not a state event: nothing to act on


async def _running(task_id: str) -> bool:
    try:
        stored = await ScanTask.get_pymongo_collection().find_one({"_id": task_id}, {"status": 1})
    except PyMongoError:  # asked again after the next quiet spell
        log.warning("cancel watch of %s could not read the task", task_id, exc_info=True)
        return True
    return stored is not None and stored.get("status") == _PROGRESS
