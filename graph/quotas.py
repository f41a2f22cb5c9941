"""Per-user quotas: what one user may hold or start, whatever the number of their tokens or
sockets. Every refusal is RATE_LIMITED with a message naming the limit; a rate also tells
`extensions.retryAfterSeconds`.

Where each is counted, and why there:
- accounts (QUOTA_ACCOUNTS_PER_USER): in MongoDB, the accounts themselves, shared by every API
  replica. Counted before the (slow) login check, and again after the insert: an add that then
  finds more than the quota deletes its own account and is refused. Two adds racing for the
  last slot therefore never both stay (each sees the other's insert, or the later one does);
  at worst both are refused and one retry wins. The quota is exceeded only for the moment
  between such an insert and its delete.
- scans started per minute (QUOTA_SCANS_PER_MINUTE): in Redis, one counter per user and
  calendar minute (INCR and EXPIRE in one transaction), shared by every replica. A fixed
  window: a burst at the end of one minute and the start of the next may start up to twice
  the quota within a few seconds, never more. A start that fails for another reason (CONFLICT,
  an unavailable queue or store) gives its count back.
- open subscriptions (QUOTA_SUBSCRIPTIONS_PER_USER) and websocket connections
  (QUOTA_SOCKETS_PER_USER): per API process, in memory. A socket lives on one process, so a
  user behind a load balancer spreading sockets over N replicas may hold N times these.
"""

from __future__ import annotations

import logging
import math
import time
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import partial

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.websockets import WebSocket, WebSocketState

from core.auth import Principal
from core.errors import RateLimited
from core.settings import settings
from models import EmailAccount

log = logging.getLogger(__name__)

SCAN_WINDOW_SECONDS = 60


# --- accounts -------------------------------------------------------------------------------


async def _accounts_of(principal: Principal) -> int:
    return await EmailAccount.find(EmailAccount.user_id == principal.user_id).count()


def _too_many_accounts() -> RateLimited:
    limit = settings.QUOTA_ACCOUNTS_PER_USER
    return RateLimited(f"At most {limit} email accounts per user (QUOTA_ACCOUNTS_PER_USER)")


async def check_account_quota(principal: Principal) -> None:
    """Refuse an add when the user already holds the quota, before any login is tried."""
    if await _accounts_of(principal) >= settings.QUOTA_ACCOUNTS_PER_USER:
        raise _too_many_accounts()


async def settle_account_quota(principal: Principal, added: EmailAccount) -> None:
    """After the insert: if concurrent adds took the user over the quota, take `added` back."""
    if await _accounts_of(principal) > settings.QUOTA_ACCOUNTS_PER_USER:
        await added.delete()
        raise _too_many_accounts()


# --- scans started per minute ---------------------------------------------------------------


# After a Redis restart the API's first command on each pooled connection fails (the server
# closed it); once more, on a fresh connection, is enough. A second failure is Redis down.
_RETRY = Retry(NoBackoff(), retries=1)


async def _count(redis: Redis, key: str) -> int:
    async with redis.pipeline(transaction=True) as pipe:
        # The window's key expires after it ended; set on every INCR, so no crash between
        # the two can leave a counter without its expiry.
        pipe.incr(key)
        pipe.expire(key, 2 * SCAN_WINDOW_SECONDS)
        count, _ = await pipe.execute()
    return int(count)


_GIVE_BACK = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end"


async def _retrying(error: Exception) -> None:
    log.info("quota counter: retrying after %r", error)


@asynccontextmanager
async def scan_start_quota(redis: Redis, principal: Principal) -> AsyncIterator[None]:
    """Count one scan start of the user in this minute's window; refuse beyond the quota. An
    error inside the block (the start did not happen) gives the count back."""
    now = time.time()
    window = int(now // SCAN_WINDOW_SECONDS)
    key = f"quota:scans:{principal.user_id}:{window}"
    count = await _RETRY.call_with_retry(partial(_count, redis, key), _retrying)
    limit = settings.QUOTA_SCANS_PER_MINUTE
    if count > limit:
        retry_after = max(1, math.ceil((window + 1) * SCAN_WINDOW_SECONDS - now))
        raise RateLimited(
            f"At most {limit} scans started per minute per user (QUOTA_SCANS_PER_MINUTE)",
            retryAfterSeconds=retry_after,
        )
    try:
        yield
    except Exception:
        try:
            # Only while the window's counter lives: a DECR of an expired key would leave a
            # counter of -1 with no expiry, a free start in some later window.
            await redis.eval(_GIVE_BACK, 1, key)
        except RedisError:  # best effort: the start's own error is what the client must see
            log.warning("quota counter: could not give back a scan start", exc_info=True)
        raise


# --- open subscriptions ---------------------------------------------------------------------

_subscriptions: Counter[str] = Counter()


@contextmanager
def subscription_quota(user_id: str) -> Iterator[None]:
    """Hold one of the user's subscription slots of this process while the block runs."""
    limit = settings.QUOTA_SUBSCRIPTIONS_PER_USER
    if _subscriptions[user_id] >= limit:
        raise RateLimited(
            f"At most {limit} open subscriptions per user (QUOTA_SUBSCRIPTIONS_PER_USER)"
        )
    _subscriptions[user_id] += 1
    try:
        yield
    finally:
        _subscriptions[user_id] -= 1
        if not _subscriptions[user_id]:
            del _subscriptions[user_id]


# --- websocket connections ------------------------------------------------------------------

# The user's sockets, held weakly: nothing here keeps a closed socket alive. A socket counts
# while both sides are connected; Starlette marks either side's close on the WebSocket itself,
# so the count is exact whenever it is read, with no release to forget.
_sockets: dict[str, weakref.WeakSet[WebSocket]] = {}
_swept_at_size = 64


def _open(socket: WebSocket) -> bool:
    return (
        socket.client_state is WebSocketState.CONNECTED
        and socket.application_state is WebSocketState.CONNECTED
    )


def admit_socket(socket: Request | WebSocket, principal: Principal) -> None:
    """Count `socket` as one of the user's; raises RateLimited when the user holds the quota
    (on_ws_connect then closes the socket with 4429 and the message: graph/websocket_auth.py)."""
    global _swept_at_size
    assert isinstance(socket, WebSocket), "called from on_ws_connect only"
    held = _sockets.setdefault(principal.user_id, weakref.WeakSet())
    for closed in [s for s in held if not _open(s)]:
        held.discard(closed)
    limit = settings.QUOTA_SOCKETS_PER_USER
    if len(held) >= limit:
        message = f"At most {limit} websocket connections per user (QUOTA_SOCKETS_PER_USER)"
        raise RateLimited(message)
    held.add(socket)
    if len(_sockets) > 2 * _swept_at_size:  # users gone since: amortised, never per call
        for user_id in [u for u, s in _sockets.items() if not any(_open(x) for x in s)]:
            del _sockets[user_id]
        _swept_at_size = max(64, len(_sockets))
