"""Websocket identity: one user per socket, refused and expired tokens end it with 4401 and a
reason (fatal for graphql-ws's client, shown by GraphiQL), and only graphql-transport-ws is spoken,
which clients offering the legacy protocol first (Python gql) negotiate."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import websockets
from starlette.websockets import WebSocket
from websockets.typing import Subprotocol

from core.auth import Principal, Role, issue_token
from core.errors import Unauthenticated
from core.settings import settings
from graph.context import Context
from tests.support.graphql import Subscription, token_for
from tests.support.own_api import own_api

TRANSPORT_WS = Subprotocol("graphql-transport-ws")
LEGACY_WS = Subprotocol("graphql-ws")
# What gql's WebsocketsTransport offers, in its order (gql/transport/websockets.py).
GQL_SUBPROTOCOLS = [LEGACY_WS, TRANSPORT_WS]
ME = "{ me { id } }"
LEEWAY = 1


def ws_url(api_url: str) -> str:
    return api_url.replace("http://", "ws://") + "/graphql"


async def closed_with(ws: Any, timeout: float = 10) -> tuple[int, str]:
    """Read until the server closes; its close code and reason."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    assert closed.value.rcvd is not None, "closed without a close frame from the server"
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def init(ws: Any, payload: dict[str, str]) -> None:
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))


async def me_over(ws: Any, op_id: str) -> dict[str, Any]:
    """Run `me` on an acknowledged socket and return its `next` payload."""
    await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": ME}}))
    message = json.loads(await ws.recv())
    assert message["type"] == "next", message
    return message["payload"]


def expired_token() -> str:
    now = int(time.time())
    claims = {"sub": "late", "role": "user", "iat": now - 600, "exp": now - 31}
    return jwt.encode(claims, settings.JWT_SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({}, "Unauthorized: no token in the connection_init payload"),
        ({"Authorization": "Bearer not-a-jwt"}, "Unauthorized: invalid token"),
        ({"Authorization": "Basic abc"}, "Unauthorized: authorization must be 'Bearer <token>'"),
        ("expired", "Unauthorized: token expired"),
    ],
)
async def test_refused_token_closes_with_4401_and_a_reason(
    api_url: str, payload: dict[str, str] | str, reason: str
) -> None:
    if payload == "expired":
        payload = {"Authorization": f"Bearer {expired_token()}"}
    assert isinstance(payload, dict)
    async with websockets.connect(ws_url(api_url), subprotocols=[TRANSPORT_WS]) as ws:
        await init(ws, payload)
        code, text = await closed_with(ws)
    assert code == 4401
    assert text.startswith(reason)
    assert len(text.encode()) <= 123


async def test_second_connection_init_cannot_switch_the_user(api_url: str) -> None:
    async with websockets.connect(ws_url(api_url), subprotocols=[TRANSPORT_WS]) as ws:
        await init(ws, {"Authorization": f"Bearer {token_for('first')}"})
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        assert (await me_over(ws, "1"))["data"] == {"me": {"id": "first"}}
        await init(ws, {"Authorization": f"Bearer {token_for('second', admin=True)}"})
        # The socket ends rather than answer anything as `second`.
        assert await closed_with(ws) == (4429, "Too many initialisation requests")


async def test_gql_negotiates_graphql_transport_ws(api_url: str) -> None:
    async with websockets.connect(ws_url(api_url), subprotocols=GQL_SUBPROTOCOLS) as ws:
        assert ws.subprotocol == TRANSPORT_WS
        await init(ws, {"Authorization": f"Bearer {token_for('gql-user')}"})
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        payload = await me_over(ws, "1")
    assert payload == {"data": {"me": {"id": "gql-user"}}}


async def test_legacy_only_clients_are_refused(api_url: str) -> None:
    async with websockets.connect(ws_url(api_url), subprotocols=[LEGACY_WS]) as ws:
        assert ws.subprotocol is None
        assert await closed_with(ws) == (4406, "Subprotocol not acceptable")


async def test_a_socket_that_never_says_who_it_is_is_closed(api_url: str) -> None:
    """Without connection_init a socket held a connection slot for a minute; now for 5 s."""
    async with websockets.connect(ws_url(api_url), subprotocols=[TRANSPORT_WS]) as ws:
        started = time.monotonic()
        code, reason = await closed_with(ws, timeout=15)
    assert (code, reason) == (4408, "Connection initialisation timeout")
    assert 4 < time.monotonic() - started < 8


@pytest.fixture(scope="module")
def short_leeway_api(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, database: object
) -> Iterator[str]:
    with own_api(tmp_path_factory.mktemp("api"), JWT_LEEWAY_SECONDS=str(LEEWAY)) as url:
        yield url


async def test_socket_closes_when_its_token_expires(short_leeway_api: str) -> None:
    token = issue_token("brief", ttl_seconds=2)
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    async with Subscription(short_leeway_api, token) as sub:
        op_id = await sub.start("subscription { myTaskUpdates { id } }")
        assert op_id == "1"
        code, reason = await closed_with(sub.ws, timeout=15)
        closed_at = time.time()
    assert (code, reason) == (4401, "Unauthorized: token expired")
    # Not before exp plus the leeway, and not long after it.
    assert exp + LEEWAY - 0.2 <= closed_at <= exp + LEEWAY + 5


async def test_socket_of_a_valid_token_stays_open(short_leeway_api: str) -> None:
    async with Subscription(short_leeway_api, issue_token("steady", ttl_seconds=600)) as sub:
        await asyncio.sleep(LEEWAY + 1)
        assert (await me_over(sub.ws, "1"))["data"] == {"me": {"id": "steady"}}


def test_operations_after_expiry_are_refused() -> None:
    """Between exp + leeway and the close going out, the context refuses the caller."""
    socket = WebSocket({"type": "websocket", "path": "/graphql", "headers": []}, None, None)  # type: ignore[arg-type]
    context = Context(request=socket, response=None)
    context.ws_principal = Principal("u", Role.USER, expires_at=time.time() + 60)
    assert context.user().user_id == "u"
    context.ws_principal = Principal(
        "u", Role.USER, expires_at=time.time() - settings.JWT_LEEWAY_SECONDS - 1
    )
    with pytest.raises(Unauthenticated, match="Token expired"):
        context.user()
