"""Where exceptions become GraphQL errors with `extensions.code`, for HTTP and websockets alike.

An AppError keeps its message and code. A request the server could not even start to run (a syntax
or validation error, a variable of the wrong type) is BAD_USER_INPUT. A store that does not answer
is SERVICE_UNAVAILABLE. Anything else is logged with its trace and reaches the client only as
INTERNAL_SERVER_ERROR, without detail.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.error import GraphQLError
from pymongo.errors import ConnectionFailure
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult

from core.errors import AppError

log = logging.getLogger(__name__)

_UNAVAILABLE = (ConnectionFailure, RedisConnectionError, RedisTimeoutError, ConnectionError)


def client_error(error: GraphQLError) -> GraphQLError:
    """The error as the client may see it."""
    original = error.original_error
    if isinstance(original, AppError):
        return _with(error, original.message, {"code": original.code, **original.extensions})
    if isinstance(original, _UNAVAILABLE):
        log.warning("store unavailable: %r", original)
        return _with(
            error,
            "A backing service is unavailable; try again shortly",
            {"code": "SERVICE_UNAVAILABLE"},
        )
    if original is None:  # graphql-core's own: syntax, validation, argument coercion
        return _with(error, error.message, {"code": "BAD_USER_INPUT"})
    log.error("unexpected error in %s", error.path, exc_info=original)
    return _with(error, "Internal server error", {"code": "INTERNAL_SERVER_ERROR"})


def _with(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(
        message=message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


class ErrorCodes(SchemaExtension):
    """Rewrites every error of a result through `client_error` before it is sent."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, GraphQLExecutionResult | ExecutionResult) and result.errors:
            result.errors = [client_error(error) for error in result.errors]
