"""A variable missing or of the wrong type is the client's mistake: BAD_USER_INPUT with
graphql-core's message, not INTERNAL_SERVER_ERROR (graphql-core wraps the scalar's own
GraphQLError in the variable's, which graph/errors.py took for an unexpected exception)."""

from __future__ import annotations

import pytest

from tests.support.graphql import gql, token_for

MY_TASKS = "query Tasks($first: Int!) { myTasks(first: $first) { edges { cursor } } }"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({}, "Expected a value of non-null type 'Int!' to be provided."),
        ({"first": "ten"}, "Int cannot represent non-integer value: 'ten'"),
        ({"first": None}, "Expected value of non-null type 'Int!' not to be None."),
    ],
)
async def test_a_bad_variable_is_bad_user_input(http, variables, message) -> None:
    body = await gql(http, MY_TASKS, variables, token=token_for("vera"))
    assert body["errors"] == [
        {
            "message": f"Variable '$first' has invalid value: {message}",
            "locations": [{"line": 1, "column": 13}],
            "extensions": {"code": "BAD_USER_INPUT"},
        }
    ]
