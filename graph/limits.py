"""Limits that keep one client from exhausting the API: request size, query shape, and
subscriptions per websocket. Every refusal is a clear GraphQL error, never a crash."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from graphql.error import GraphQLError
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import MaxTokensLimiter, SchemaExtension
from strawberry.types.execution import PreExecutionError

from core.errors import BadInput, RateLimited
from graph.document_cost import Cost
from graph.errors import present
from graph.http_errors import error_body
from graph.metrics import OPEN_SUBSCRIPTIONS
from graph.quotas import subscription_quota

MAX_DEPTH = 10
MAX_TOKENS = 2000
MAX_ALIASES = 30
# Fields, spreads and inline fragments of a document once every fragment spread is expanded
# (graph/document_cost.py). A document without fragments has fewer than MAX_TOKENS; GraphiQL's
# schema query has about 240. A document over it is refused before validation walks it.
MAX_SELECTIONS = 5000
# Pairs of fields answering under one name in one selection set (graph/document_cost.py): the
# overlapping-fields rule compares each pair, so its work grows with their square. 1,000 pairs
# validate in a few milliseconds; a client query repeats a name a handful of times at most.
MAX_MERGES = 1000
# Bytes of query text (UTF-8), comments included: comments are not tokens, so MAX_TOKENS alone
# let a 15 MiB comment through to the parser and the document cache.
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


def refused_request(
    query: object, variables: object = None, operation_name: object = None
) -> PreExecutionError | None:
    """The refusal of a request that is not a GraphQL request, or whose query text is over
    MAX_QUERY_LENGTH bytes, before anything parses it. HTTP bodies are checked on the way in
    (graph/http_errors.py); a websocket's `subscribe` payload reaches the schema unchecked."""
    if query is not None and not isinstance(query, str):
        return _refusal("The query must be a string")
    if variables is not None and not isinstance(variables, dict):
        return _refusal("The variables must be an object")
    if operation_name is not None and not isinstance(operation_name, str):
        return _refusal("The operationName must be a string")
    if query is None or len(query) * 4 <= MAX_QUERY_LENGTH:  # UTF-8 needs at most 4 a character
        return None
    size = len(query.encode("utf-8", "surrogatepass"))
    if size <= MAX_QUERY_LENGTH:
        return None
    return _refusal(f"The query is {size} bytes long; at most {MAX_QUERY_LENGTH} are allowed")


def _refusal(message: str) -> PreExecutionError:
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
    if cost.merges > MAX_MERGES:
        errors.append(
            bad_input(
                f"The query asks {cost.merges} pairs of fields under one name at one level; "
                f"at most {MAX_MERGES} are allowed"
            )
        )
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
            await self._refuse(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:  # later calls wait for the client's disconnect, as usual
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = error_body(BadInput(f"Request body over {self.max_bytes} bytes"))
        await JSONResponse(body, status_code=413)(scope, receive, send)
