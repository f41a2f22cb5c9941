"""Where exceptions become GraphQL errors with `extensions.code`, for HTTP and websockets alike.

An AppError keeps its message and code. A request the server could not even start to run (a syntax
or validation error, a variable of the wrong type) is BAD_USER_INPUT. A store that does not answer
is SERVICE_UNAVAILABLE. Anything else is logged with its trace and reaches the client only as
INTERNAL_SERVER_ERROR, without detail.

Strawberry hands every error of every result (queries, mutations and each subscription event) to
`Schema.process_errors` before sending it, so rewriting the errors there (graph/schema.py)
covers all transports.
"""

from __future__ import annotations

import logging

from graphql.error import GraphQLError
from pymongo.errors import ConnectionFailure
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.errors import AppError

log = logging.getLogger(__name__)

_UNAVAILABLE = (ConnectionFailure, RedisConnectionError, RedisTimeoutError, ConnectionError)


def present(error: GraphQLError) -> None:
    """Rewrite `error` in place into what the client may see; a second call changes nothing."""
    if error.extensions and "code" in error.extensions:
        return
    original = error.original_error
    if isinstance(original, AppError):
        error.extensions = {"code": original.code, **original.extensions}
        error.message = original.message
    elif isinstance(original, _UNAVAILABLE):
        log.warning("store unavailable: %r", original)
        error.extensions = {"code": "SERVICE_UNAVAILABLE"}
        error.message = "A backing service is unavailable; try again shortly"
    elif original is None or isinstance(original, GraphQLError):
        # graphql-core's own: syntax, validation, argument coercion; a variable of the wrong type
        # or missing wraps the scalar's GraphQLError (it was INTERNAL_SERVER_ERROR before).
        error.extensions = {"code": "BAD_USER_INPUT"}
    else:
        log.error("unexpected error in %s", error.path, exc_info=original)
        error.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        error.message = "Internal server error"
