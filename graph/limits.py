"""Limits that keep one client from exhausting the API: request size, query shape, and
subscriptions per websocket. Every refusal is a clear GraphQL error, never a crash."""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from core.errors import AppError
from graph.metrics import OPEN_SUBSCRIPTIONS
from graph.quotas import subscription_quota

MAX_DEPTH = 10
MAX_TOKENS = 2000
MAX_ALIASES = 30
MAX_BODY_BYTES = 256 * 1024
MAX_SUBSCRIPTIONS_PER_SOCKET = 20

# The depth and alias limiters' validation rules, built once. Each limiter builds a new rule
# class when it is made: made per request, the rules would differ every time, and Strawberry's
# ValidationCache, keyed on the document and the rules, would never hit.
LIMIT_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]

# Factories, not instances: Strawberry makes one per request, so no state leaks between them.
QUERY_LIMITS: list[Callable[[], SchemaExtension]] = [
    functools.partial(AddValidationRules, LIMIT_RULES),
    functools.partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
]


class RateLimited(AppError):
    code = "RATE_LIMITED"


class SubscriptionSlots:
    """Counts one websocket connection's open subscriptions, and holds one of its user's
    subscription slots of the process for each (graph/quotas.py)."""

    def __init__(self) -> None:
        self.open = 0

    @asynccontextmanager
    async def slot(self, user_id: str) -> AsyncIterator[None]:
        if self.open >= MAX_SUBSCRIPTIONS_PER_SOCKET:
            raise RateLimited(
                f"At most {MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions per connection"
            )
        with subscription_quota(user_id):
            self.open += 1
            OPEN_SUBSCRIPTIONS.inc()
            try:
                yield
            finally:
                self.open -= 1
                OPEN_SUBSCRIPTIONS.dec()


class BodyLimit:
    """ASGI middleware answering 413 with a GraphQL error for bodies over MAX_BODY_BYTES,
    whether or not the client sent Content-Length."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._refuse(send)
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:  # later calls wait for the client's disconnect, as usual
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        error: dict[str, Any] = {
            "message": f"Request body over {self.max_bytes} bytes",
            "extensions": {"code": "BAD_USER_INPUT"},
        }
        payload = json.dumps({"errors": [error]}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
