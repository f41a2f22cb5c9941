"""Malformed requests (issue 13) against the running API: each is a GraphQL error in JSON with
`extensions.code` BAD_USER_INPUT, HTTP 400 where the GraphQL-over-HTTP spec asks for it, and
no traceback in the API's log."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import BASE
from tests.support.graphql import Subscription, token_for

GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.fixture
def api_log(api_url: str) -> Iterator[None]:
    """Fails the test if the API logged a traceback while it ran."""
    log = BASE / "api.log"
    offset = log.stat().st_size
    yield
    with log.open(errors="replace") as file:
        file.seek(offset)
        written = file.read()
    assert "Traceback" not in written, written[-3000:]


def refusal_of(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].split(";")[0] in ("application/json", GRAPHQL_RESPONSE)
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    return body


BAD_BODIES = [
    b"null",
    b"1",
    b'"{ __typename }"',
    b"[]",
    b'{"query": "{ __typename \xff }"}',
    b"{not json",
    b'{"query": 1}',
    b'{"query": "{ __typename }", "variables": []}',
    b'{"query": "{ __typename }", "variables": "x"}',
    b'{"query": "{ __typename }", "operationName": 1}',
    b'{"variables": {}}',
    b'{"query": "{ __typename }", "variables": {"v": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=lambda body: body[:30].decode(errors="replace"))
@pytest.mark.usefixtures("api_log")
async def test_a_body_the_api_cannot_use_is_a_400_with_a_graphql_error(http, body) -> None:
    for accept in ("application/json", GRAPHQL_RESPONSE):
        response = await http.post(
            "/graphql",
            content=body,
            headers={"content-type": "application/json", "accept": accept},
        )
        assert response.status_code == 400, response.text
        refusal_of(response)


VARIABLE_CASES = [
    ("query($n: Int!) { invoices(first: $n) { totalCount } }", {"n": "abc"}, "Int"),
    ("query($n: Int!) { invoices(first: $n) { totalCount } }", {}, "to be provided"),
    (
        "mutation($i: AddEmailAccountInput!) { addEmailAccount(input: $i) { id } }",
        {
            "i": {
                "email": "a@example.org",
                "imapHost": "127.0.0.1",
                "password": "x",
                "bogus": 1,
            }
        },
        "bogus",
    ),
]


@pytest.mark.parametrize(("query", "variables", "word"), VARIABLE_CASES)
@pytest.mark.usefixtures("api_log")
async def test_bad_variables_are_bad_user_input(http, query, variables, word) -> None:
    auth = {"Authorization": f"Bearer {token_for('variables')}"}
    payload = {"query": query, "variables": variables}
    response = await http.post("/graphql", json=payload, headers=auth)
    assert response.status_code == 200  # the spec's rule for application/json clients
    body = refusal_of(response)
    assert word in body["errors"][0]["message"], body
    assert body["data"] is None
    response = await http.post(
        "/graphql", json=payload, headers={**auth, "accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert "data" not in refusal_of(response)


@pytest.mark.usefixtures("api_log")
async def test_parse_and_validation_errors_by_media_type(http) -> None:
    for query in ("{ __typename", "{ nosuchfield }"):
        response = await http.post("/graphql", json={"query": query})
        assert response.status_code == 200
        refusal_of(response)
        response = await http.post(
            "/graphql", json={"query": query}, headers={"accept": GRAPHQL_RESPONSE}
        )
        assert response.status_code == 400
        assert "data" not in refusal_of(response)
    # A query that runs is 200 with either media type.
    response = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json() == {"data": {"__typename": "Query"}}


CURSORS = [
    base64.urlsafe_b64encode(b"[" * 90_000 + b"]" * 90_000).decode(),
    base64.urlsafe_b64encode(b'["2026-01-01T00:00:00", ["nested"]]').decode(),
    "not base64 at all!",
    "é",
]


@pytest.mark.parametrize("cursor", CURSORS, ids=lambda cursor: cursor[:12])
@pytest.mark.usefixtures("api_log")
async def test_a_hostile_cursor_is_bad_user_input_naming_the_argument(http, cursor) -> None:
    response = await http.post(
        "/graphql",
        json={
            "query": "query($after: String) { invoices(after: $after) { totalCount } }",
            "variables": {"after": cursor},
        },
        headers={"Authorization": f"Bearer {token_for('cursors')}"},
    )
    body = refusal_of(response)
    assert body["errors"][0]["extensions"]["argument"] == "after"
    assert "after" in body["errors"][0]["message"]


WS_BAD_PAYLOADS: list[tuple[dict[str, Any], str]] = [
    ({"query": 123}, "The query must be a string"),
    ({"query": ["{ me { id } }"]}, "The query must be a string"),
    ({"query": "{ me { id } }", "variables": [1]}, "The variables must be an object"),
    ({"query": "{ me { id } }", "operationName": ["x"]}, "The operationName must be a string"),
]


@pytest.mark.usefixtures("api_log")
async def test_a_websocket_subscribe_the_api_cannot_use_is_an_error_message(api_url) -> None:
    """A subscribe payload reaches the schema unchecked by the HTTP body checks: each bad field
    is an `error` message for that operation, the socket stays open, and nothing is logged."""
    async with Subscription(api_url, token_for("malformed")) as ws:
        for payload, message in WS_BAD_PAYLOADS:
            op_id = await ws.send_subscribe(payload)
            answer = await ws.next_message(op_id)
            assert answer["type"] == "error", answer
            assert [(e["message"], e["extensions"]["code"]) for e in answer["payload"]] == [
                (message, "BAD_USER_INPUT")
            ]
        op_id = await ws.start("{ me { id } }")
        assert [m async for m in ws.messages(op_id)] == [{"data": {"me": {"id": "malformed"}}}]
