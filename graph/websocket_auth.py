"""Who may keep a websocket open: the token of connection_init, checked once at connect and again
when it expires.

A request is authenticated once and answered at once; a websocket lives on, so a token that
expires while it is open would otherwise keep starting scans and subscriptions. The socket is
closed at the token's exp plus the leeway that HTTP grants (core/auth.py).

Refusals close with 4401 and a short reason: graphql-ws (npm) treats 4401 as fatal and shows it
(its client retries 4403, Strawberry's code for a rejected connection_init, for about 40 s), and
GraphiQL shows the reason at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter

from core.auth import EXPIRED, Principal, principal_from_header
from core.errors import Unauthenticated

CLOSE_UNAUTHORIZED = 4401
# graphql-ws's "too many" code, which its client does not retry either: a user over the
# sockets quota (graph/quotas.py) learns why at once instead of retrying into the quota.
CLOSE_RATE_LIMITED = 4429
# RFC 6455: a close frame's payload is at most 125 bytes, two of them the code.
MAX_REASON_BYTES = 123
NO_TOKEN = "No token in the connection_init payload (Authorization: Bearer <token>)"


def close_reason(message: str, prefix: str = "Unauthorized") -> str:
    """`<prefix>: <message>`, cut to what a close frame can carry."""
    text = f"{prefix}: {message[:1].lower()}{message[1:]}"
    return text.encode()[:MAX_REASON_BYTES].decode(errors="ignore")


def principal_from_params(params: object) -> Principal:
    """The caller named by connection_init's payload (`{"Authorization": "Bearer <token>"}`,
    the key in any case); raises Unauthenticated."""
    items = params.items() if isinstance(params, Mapping) else ()
    header = next((str(value) for key, value in items if str(key).lower() == "authorization"), None)
    if header is None:
        raise Unauthenticated(NO_TOKEN)
    return principal_from_header(header)


async def close_unauthorized(websocket: WebSocket, message: str) -> None:
    """Close `websocket` with 4401 and `message`, unless it is already closed."""
    await _close(websocket, CLOSE_UNAUTHORIZED, close_reason(message))


async def close_rate_limited(websocket: WebSocket, message: str) -> None:
    """Close `websocket` with 4429 and `message`, unless it is already closed."""
    await _close(websocket, CLOSE_RATE_LIMITED, close_reason(message, "Rate limited"))


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state is not WebSocketState.CONNECTED:
        return
    with contextlib.suppress(WebSocketDisconnect):  # the client left first
        await websocket.close(code=code, reason=reason)


class TokenExpiry:
    """Closes one websocket when its token expires; cancelled when the connection ends, so a
    closed socket is not kept in memory until its token's exp."""

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    def watch(self, websocket: WebSocket, principal: Principal, leeway: float) -> None:
        self.cancel()
        delay = principal.expires_at + leeway - time.time()
        self._task = asyncio.create_task(self._close_after(websocket, delay))

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    @staticmethod
    async def _close_after(websocket: WebSocket, delay: float) -> None:
        await asyncio.sleep(max(delay, 0.0))
        await close_unauthorized(websocket, EXPIRED)


class ClosingWebSocketAdapter(ASGIWebSocketAdapter):
    """Strawberry's adapter, for a socket this service may close itself (a refused or expired
    token): the first close wins (Strawberry's own 4403 after our 4401 is dropped), and an
    operation's message after the close is dropped instead of raising in its task; the
    handler's loop ends on the client's close reply and cancels the operations."""

    async def close(self, code: int, reason: str) -> None:
        if self.ws.application_state is WebSocketState.CONNECTED:
            await super().close(code, reason)

    async def send_json(self, message: Mapping[str, object]) -> None:
        if self.ws.application_state is WebSocketState.CONNECTED:
            await super().send_json(message)
