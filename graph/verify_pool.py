"""Where addEmailAccount's slow checks run: DNS and a trial login, each in its own bounded pool.

They used to share asyncio's default thread pool (a handful of threads on a small machine) with
everything else: six logins to a server that never greets held it, and every other user's
request that needed a thread waited. Here a user runs at most IMAP_VERIFY_PER_USER checks at
once (beyond: RATE_LIMITED), each pool has IMAP_VERIFY_CONCURRENCY threads, and a check answers
within IMAP_VERIFY_DEADLINE_SECONDS. The counts are per API process.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from typing import Literal

from core.errors import RateLimited, ServiceUnavailable
from core.settings import settings

# Past the deadline the check's own timeouts end it; the caller waits a little longer for that
# answer (which names the failure) before giving up on the thread.
GRACE_SECONDS = 2.0

type Kind = Literal["resolve", "login"]


class CheckTimedOut(Exception):
    """The check ran past its deadline and did not answer (a DNS lookup that hangs)."""


class VerifyPool:
    """Two bounded thread pools and a per-user count of checks under way."""

    def __init__(self, threads: int, per_user: int, deadline: float) -> None:
        self._pools = {
            "resolve": ThreadPoolExecutor(threads, thread_name_prefix="imap-resolve"),
            "login": ThreadPoolExecutor(threads, thread_name_prefix="imap-verify"),
        }
        self.per_user = per_user
        self.deadline = deadline
        self._lock = threading.Lock()
        self._running: Counter[str] = Counter()

    async def run[T](self, user_id: str, kind: Kind, check: Callable[[], T]) -> T:
        """Run `check` in the `kind` pool for `user_id`. A user's slot is held until the
        thread ends, even after the caller gave up, so nobody can pile up stuck threads."""
        self._claim(user_id)
        try:
            future: Future[T] = self._pools[kind].submit(check)
        except BaseException:
            self._release(user_id)
            raise
        future.add_done_callback(lambda _: self._release(user_id))
        try:
            async with asyncio.timeout(self.deadline + GRACE_SECONDS):
                # Cancelling the wrapper cancels a check still queued, so it never runs.
                return await asyncio.wrap_future(future)
        except TimeoutError:
            if future.cancelled():
                raise ServiceUnavailable(
                    "Too many mailbox checks are running; try again shortly"
                ) from None
            raise CheckTimedOut from None

    def _claim(self, user_id: str) -> None:
        with self._lock:
            if self._running[user_id] >= self.per_user:
                raise RateLimited(
                    f"At most {self.per_user} mailbox checks at once; wait for one to finish"
                )
            self._running[user_id] += 1

    def _release(self, user_id: str) -> None:
        with self._lock:
            self._running[user_id] -= 1
            if self._running[user_id] <= 0:
                del self._running[user_id]


@cache
def verify_pool() -> VerifyPool:
    """The API process's pool, made on first use from settings."""
    return VerifyPool(
        settings.IMAP_VERIFY_CONCURRENCY,
        settings.IMAP_VERIFY_PER_USER,
        settings.IMAP_VERIFY_DEADLINE_SECONDS,
    )
