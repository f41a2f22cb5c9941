"""A workaround for kombu 5.7's Redis transport taking the worker down when Redis restarts.

When the broker connection drops while a task is unacknowledged (every running scan: acks are
late), Celery closes the old channel and later acks the finished task on it. Both reach Redis
through a channel whose transport was already detached (`connection` or its `client` is None):
AttributeError, "Unrecoverable error", and the whole worker exits with its running scans.
Nothing can be restored or acked over a dead connection anyway: the message stays in Redis's
unacked set (if Redis kept its data) and comes back after the visibility timeout, where the scan
task sees its task finished and does nothing. So skip those calls on a detached channel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kombu.transport import redis as kombu_redis

log = logging.getLogger(__name__)

_PATCHED = "_invoicescan_guarded"


def _detached(qos: Any) -> bool:
    transport = getattr(qos.channel, "connection", None)
    return transport is None or getattr(transport, "client", None) is None


def _guarded(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _detached(self):
            log.warning("broker connection lost: %s skipped on the old channel", name)
            return None
        return original(self, *args, **kwargs)

    setattr(call, _PATCHED, True)
    return call


def install() -> None:
    """Guard kombu's Redis QoS once; called when the Celery app is imported."""
    for name in ("restore_unacked", "ack", "reject"):
        original = getattr(kombu_redis.QoS, name)
        if not getattr(original, _PATCHED, False):
            setattr(kombu_redis.QoS, name, _guarded(name, original))
