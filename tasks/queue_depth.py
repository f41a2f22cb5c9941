"""How many scan messages wait in the broker, by kind.

Kombu's Redis transport keeps one list per priority step of a queue: messages of the default
priority 0 in the list named like the queue, the others in `<queue><sep><step>` lists, and a
worker pops the lists in priority order. Whole scans go out at priority 0 and the parts of a
split scan at PART_PRIORITY (tasks/publisher.py), so a waiting scan is always taken before the
next part, and the length of the bare list is the number of whole scans waiting
(tests/tasks/test_queue_depth.py holds this seam to the pinned kombu).
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

from tasks.celery_app import SCAN_QUEUE, app

# Kombu's Redis steps are 0, 3, 6, 9 (0 first): a part waits behind every whole scan.
PART_PRIORITY = 6


async def scans_waiting(broker: Redis) -> int:
    """Whole scans (not parts) waiting in the queue; 0 while the broker is away."""
    try:
        return int(await broker.llen(SCAN_QUEUE))
    except RedisError:
        return 0


def messages_waiting() -> int:
    """Every message waiting in the scan queue, of any priority (blocking: run in a thread);
    0 when the queue was never declared (a Redis that restarted empty) or the broker is away."""
    try:
        with app.connection_for_read() as connection:
            declared = connection.default_channel.queue_declare(SCAN_QUEUE, passive=True)
            return int(declared.message_count)
    except Exception:  # kombu raises its own, amqp's or redis's errors here
        return 0
