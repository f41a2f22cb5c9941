"""GraphQL over HTTP: every request the API cannot run is answered with a GraphQL error in JSON,
`extensions.code` BAD_USER_INPUT, and the status the GraphQL-over-HTTP spec asks for.

Strawberry answers a body it cannot use with text/plain (HTTPException), and a body that is JSON
but not an object (`null`, `1`), or not UTF-8, or nested past the recursion limit, with an
exception and HTTP 500. Here: request errors (no usable body, no query) are HTTP 400 for every
client. A document that does not parse or validate, or variables that do not fit it, are HTTP 400
with `application/graphql-response+json` for clients that accept that type, and HTTP 200 for
`application/json` clients (the spec's rule for them, which the existing clients rely on).
"""

from __future__ import annotations

import json
import re
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult

from core.errors import AppError, BadInput

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
# Where a JSON body's first value starts: an object (or a batch, which Strawberry refuses itself).
_OBJECT_OR_ARRAY = re.compile(rb"[ \t\r\n]*[{\[]")
_REQUEST_ERROR = "graphql_request_error"


def decode_json(data: str | bytes) -> object:
    """`json.loads`, failing with JSONDecodeError (which Strawberry answers as a bad request)
    also for bytes that are not UTF-8 and for JSON nested past Python's recursion limit."""
    try:
        return json.loads(data)
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError("The body is not UTF-8", "", 0) from exc
    except RecursionError as exc:
        raise json.JSONDecodeError("The JSON is nested too deeply", "", 0) from exc


def check_body(body: bytes) -> None:
    """Refuse a JSON body that is not an object before Strawberry reads fields of it."""
    if not _OBJECT_OR_ARRAY.match(body):
        raise HTTPException(400, "The request body must be a JSON object")


def check_request(data: GraphQLRequestData | list[GraphQLRequestData]) -> None:
    """Refuse fields Strawberry passes on unchecked."""
    for item in data if isinstance(data, list) else [data]:
        if not isinstance(item.operation_name, str | None):
            raise HTTPException(400, "The operationName must be a string or null, if provided")


def wants_graphql_response(request: Request) -> bool:
    """True when the client accepts the GraphQL response media type."""
    return GRAPHQL_RESPONSE_JSON in request.headers.get("accept", "")


def is_request_error(result: ExecutionResult) -> bool:
    """A result of a request that never ran: errors before execution, none at a field's path."""
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )


def shaped(request: Request, result: ExecutionResult, body: GraphQLHTTPResponse) -> None:
    """Shape the processed `body` of `result` for a client of the GraphQL response type: no
    `data` entry for a request that never ran, marked so `respond` answers 400."""
    if wants_graphql_response(request) and is_request_error(result):
        body.pop("data", None)
        setattr(request.state, _REQUEST_ERROR, True)


def respond(request: Request, response: Response) -> Response:
    """The response as a client of the GraphQL response type expects it."""
    if wants_graphql_response(request) and response.media_type == "application/json":
        response.headers["content-type"] = GRAPHQL_RESPONSE_JSON
        if getattr(request.state, _REQUEST_ERROR, False):
            response.status_code = 400
    return response


def error_body(error: AppError) -> dict[str, Any]:
    """A response body of one GraphQL error, for refusals made before GraphQL runs."""
    return {"errors": [{"message": error.message, "extensions": {"code": error.code}}]}


def request_error(request: Request, exc: HTTPException) -> Response:
    """Strawberry's refusal of a request as a GraphQL error in JSON, with its status."""
    body = error_body(BadInput(exc.reason))
    media_type = GRAPHQL_RESPONSE_JSON if wants_graphql_response(request) else "application/json"
    return JSONResponse(body, status_code=exc.status_code, media_type=media_type)
