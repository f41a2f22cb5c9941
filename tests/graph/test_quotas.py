"""Per-user quotas (graph/quotas.py), against an API process of their own with small quotas, on
the session's Redis and store: the (N+1)th account, scan, subscription and socket of a user
answers RATE_LIMITED, and what a closed socket held is given back."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from models import ScanTask
from models.enums import ScanType, TaskStatus
from tests.support.graphql import Subscription, data_of, gql, imap_account, token_for
from tests.support.own_api import OwnApi, own_api_process
from tests.support.services import free_port

ACCOUNTS, SCANS, SUBSCRIPTIONS, SOCKETS = 3, 2, 3, 2
assert ACCOUNTS > SCANS  # the scan test starts SCANS scans of distinct accounts, one kept busy
ADD = "mutation($input: AddEmailAccountInput!) { addEmailAccount(input: $input) { id } }"
START = "mutation($id: ID!) { startScan(accountId: $id) { taskId } }"
FOLLOW = "subscription { myTaskUpdates { id } }"


@pytest.fixture(scope="module")
def api(tmp_path_factory, redis_url, database) -> Iterator[OwnApi]:
    with own_api_process(
        tmp_path_factory.mktemp("quota-api"),
        QUOTA_ACCOUNTS_PER_USER=str(ACCOUNTS),
        QUOTA_SCANS_PER_MINUTE=str(SCANS),
        QUOTA_SUBSCRIPTIONS_PER_USER=str(SUBSCRIPTIONS),
        QUOTA_SOCKETS_PER_USER=str(SOCKETS),
    ) as running:
        yield running


@pytest.fixture
async def client(api) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as http:
        yield http


def a_user() -> str:
    return f"quota-{uuid.uuid4().hex[:8]}"


def rate_limited(body: dict[str, Any]) -> dict[str, Any]:
    """The one error of `body`, checked to be RATE_LIMITED."""
    [error] = body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED", error
    return error


async def add_account(http: httpx.AsyncClient, token: str, n: int) -> dict[str, Any]:
    # A closed port: verify is off, so nothing logs in.
    account = imap_account(f"box{n}@example.com", "pw", free_port(), verify=False)
    return await gql(http, ADD, {"input": account}, token=token)


async def test_the_account_over_the_quota_is_refused(client) -> None:
    token = token_for(a_user())
    for n in range(ACCOUNTS):
        data_of(await add_account(client, token, n))
    error = rate_limited(await add_account(client, token, ACCOUNTS))
    assert error["message"] == (
        f"At most {ACCOUNTS} email accounts per user (QUOTA_ACCOUNTS_PER_USER)"
    )
    listed = data_of(await gql(client, "{ emailAccounts { id } }", token=token))
    assert len(listed["emailAccounts"]) == ACCOUNTS
    # Another user is not affected.
    data_of(await add_account(client, token_for(a_user()), 0))


async def test_concurrent_adds_never_exceed_the_account_quota(client) -> None:
    token = token_for(a_user())
    bodies = await asyncio.gather(*(add_account(client, token, n) for n in range(4 * ACCOUNTS)))
    added = [body for body in bodies if not body.get("errors")]
    for body in bodies:
        if body.get("errors"):
            rate_limited(body)
    assert 1 <= len(added) <= ACCOUNTS
    listed = data_of(await gql(client, "{ emailAccounts { id } }", token=token))
    assert sorted(a["id"] for a in listed["emailAccounts"]) == sorted(
        body["data"]["addEmailAccount"]["id"] for body in added
    )


async def test_the_scan_over_the_per_minute_quota_is_refused(client) -> None:
    user = a_user()
    token = token_for(user)
    accounts = [data_of(await add_account(client, token, n)) for n in range(ACCOUNTS)]
    ids = [account["addEmailAccount"]["id"] for account in accounts]
    if time.time() % 60 > 50:  # the window is the calendar minute: start in a fresh one
        await asyncio.sleep(61 - time.time() % 60)
    # A start refused for another reason (the account's scan is running) counts nothing. The
    # running task is stored here, not started: a worker of the session would end it.
    await ScanTask(
        id=str(uuid.uuid4()),
        account_id=ids[0],
        user_id=user,
        scan_type=ScanType.INBOX,
        months=1,
        status=TaskStatus.PROGRESS,
        active=True,
    ).insert()
    for _ in range(SCANS + 1):
        conflict = await gql(client, START, {"id": ids[0]}, token=token)
        assert conflict["errors"][0]["extensions"]["code"] == "CONFLICT"
    for account_id in ids[1 : SCANS + 1]:
        data_of(await gql(client, START, {"id": account_id}, token=token))
    error = rate_limited(await gql(client, START, {"id": ids[1]}, token=token))
    assert error["message"] == (
        f"At most {SCANS} scans started per minute per user (QUOTA_SCANS_PER_MINUTE)"
    )
    assert 1 <= error["extensions"]["retryAfterSeconds"] <= 60


async def subscribe(api: OwnApi, ws: Subscription) -> dict[str, Any] | None:
    """Start FOLLOW on `ws`; the error it answers within a second, or None while it runs."""
    op = await ws.start(FOLLOW)
    try:
        async with asyncio.timeout(1):
            return await anext(ws.messages(op))
    except TimeoutError:
        return None


async def test_subscriptions_over_the_quota_are_refused_and_given_back(api) -> None:
    token = token_for(a_user())
    async with Subscription(api.url, token) as first, Subscription(api.url, token) as second:
        for ws in (first, first, second):  # the quota counts across the user's sockets
            assert await subscribe(api, ws) is None
        refused = await subscribe(api, second)
        assert refused is not None
        [error] = refused["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["message"] == (
            f"At most {SUBSCRIPTIONS} open subscriptions per user (QUOTA_SUBSCRIPTIONS_PER_USER)"
        )
        await first.ws.close()
        # The closed socket's two slots come back (its close reaches the server shortly).
        async with asyncio.timeout(10):
            while not await two_subscriptions(api, token):
                await asyncio.sleep(0.2)


async def two_subscriptions(api: OwnApi, token: str) -> bool:
    """Whether a new socket of the user is accepted and may run two subscriptions."""
    try:
        async with Subscription(api.url, token) as ws:
            return await subscribe(api, ws) is None and await subscribe(api, ws) is None
    except (AssertionError, websockets.ConnectionClosed):  # the socket itself was refused
        return False


async def connection_init(api: OwnApi, token: str, protocol: str) -> Any:
    """Open a socket with `protocol` and send connection_init; the socket and the answer."""
    url = api.url.replace("http://", "ws://") + "/graphql"
    ws = await websockets.connect(url, subprotocols=[Subprotocol(protocol)])
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    )
    return ws


async def test_sockets_over_the_quota_are_refused_and_given_back(api) -> None:
    token = token_for(a_user())
    held = [await Subscription(api.url, token).__aenter__() for _ in range(SOCKETS)]
    # Closed with graphql-ws's "too many" code, which its client does not retry, and the reason.
    refused = await connection_init(api, token, "graphql-transport-ws")
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(refused.recv(), 10)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        4429,
        f"Rate limited: at most {SOCKETS} websocket connections per user (QUOTA_SOCKETS_PER_USER)",
    )
    # Another user is not affected; a closed socket of this user is given back.
    async with Subscription(api.url, token_for(a_user())):
        pass
    await held.pop().__aexit__(None, None, None)
    async with asyncio.timeout(10):
        while True:
            ws = await connection_init(api, token, "graphql-transport-ws")
            try:
                if json.loads(await ws.recv())["type"] == "connection_ack":
                    break
            except websockets.ConnectionClosed:
                await asyncio.sleep(0.2)
            finally:
                await ws.close()
    for ws in held:
        await ws.__aexit__(None, None, None)
