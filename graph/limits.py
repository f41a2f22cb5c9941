"""Limits that keep one client from exhausting the API: request size, query shape, and
subscriptions per websocket. Every refusal is a clear GraphQL error, never a crash."""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from graphql.error import GraphQLError
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import MaxTokensLimiter, SchemaExtension
from strawberry.types.execution import PreExecutionError

from core.errors import BadInput, RateLimited
from graph.document_cost import Cost
from graph.errors import present
from graph.metrics import OPEN_SUBSCRIPTIONS
from graph.quotas import subscription_quota

MAX_DEPTH = 10
MAX_TOKENS = 2000
MAX_ALIASES = 30
# Fields, spreads and inline fragments of a document once every fragment spread is expanded
# (graph/document_cost.py). A document without fragments has fewer than MAX_TOKENS; GraphiQL's
# schema query has about 240. A document over it is refused before validation walks it.
MAX_SELECTIONS = 5000
# Characters of query text, comments included: comments are not tokens, so MAX_TOKENS alone let
# a 15 MiB comment through to the parser and the document cache.
MAX_QUERY_LENGTH = 64 * 1024
MAX_BODY_BYTES = 256 * 1024
MAX_SUBSCRIPTIONS_PER_SOCKET = 20

# Factories, not instances: Strawberry makes one per request, so no state leaks between them.
# Depth and aliases are checked with the expansion budget (graph/document_cache.py).
QUERY_LIMITS: list[Callable[[], SchemaExtension]] = [
    functools.partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
]


def bad_input(message: str) -> GraphQLError:
    """A GraphQL error refusing the request, as graph/errors.py presents a BadInput."""
    error = GraphQLError(message, original_error=BadInput(message))
    present(error)
    return error


def oversized_query(query: str | None) -> PreExecutionError | None:
    """The refusal of a query text over MAX_QUERY_LENGTH, before anything parses it."""
    if query is None or len(query) <= MAX_QUERY_LENGTH:
        return None
    message = f"The query is {len(query)} characters long; at most {MAX_QUERY_LENGTH} are allowed"
    return PreExecutionError(data=None, errors=[bad_input(message)])


def over_limits(cost: Cost) -> list[GraphQLError]:
    """One error for each limit that `cost` exceeds; none when the document may be validated."""
    errors = []
    if cost.selections > MAX_SELECTIONS:
        errors.append(
            bad_input(
                f"The query has {cost.selections} selections once its fragments are spread; "
                f"at most {MAX_SELECTIONS} are allowed"
            )
        )
    if cost.depth > MAX_DEPTH:
        errors.append(
            bad_input(f"The query's depth is {cost.depth}; the maximum depth is {MAX_DEPTH}")
        )
    if cost.aliases > MAX_ALIASES:
        errors.append(bad_input(f"{cost.aliases} aliases found; at most {MAX_ALIASES} allowed"))
    return errors


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
