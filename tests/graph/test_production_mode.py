"""ENVIRONMENT=production hides the schema from strangers: no introspection, no GraphiQL, unless
GRAPHQL_INTROSPECTION or GRAPHIQL turn them back on."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from core.settings import Settings
from tests.support.graphql import token_for
from tests.support.own_api import own_api

SCHEMA_TYPES = "{ __schema { types { name } } }"
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def production_api(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, database: object
) -> Iterator[str]:
    with own_api(tmp_path_factory.mktemp("api"), ENVIRONMENT="production") as url:
        yield url


async def test_introspection_is_refused_in_production(production_api: str) -> None:
    async with httpx.AsyncClient(base_url=production_api, timeout=30) as http:
        for token in (None, token_for("prod-user"), token_for("prod-admin", admin=True)):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = await http.post("/graphql", json={"query": SCHEMA_TYPES}, headers=headers)
            body = response.json()
            assert response.status_code == 200 and body.get("data") is None
            # One error per introspection field (`__schema`, then its `types`).
            assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}
            assert "introspection has been disabled" in body["errors"][0]["message"]
            assert "ScanTask" not in response.text
        # An ordinary query still runs.
        me = await http.post(
            "/graphql",
            json={"query": "{ me { id } }"},
            headers={"Authorization": f"Bearer {token_for('prod-user')}"},
        )
        assert me.json() == {"data": {"me": {"id": "prod-user"}}}


async def test_no_graphiql_in_production(production_api: str) -> None:
    async with httpx.AsyncClient(base_url=production_api, timeout=30) as http:
        response = await http.get("/graphql", headers=HTML)
    assert response.status_code == 404
    assert "graphiql" not in response.text.lower()
    assert not response.headers.get("content-type", "").startswith("text/html")


async def test_outside_production_both_stay_on(http: httpx.AsyncClient) -> None:
    """The session's API runs with ENVIRONMENT=test."""
    page = await http.get("/graphql", headers=HTML)
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    body = (await http.post("/graphql", json={"query": SCHEMA_TYPES})).json()
    assert "errors" not in body
    assert "ScanTask" in {t["name"] for t in body["data"]["__schema"]["types"]}


def test_settings_turn_them_on_or_off() -> None:
    production = Settings(ENVIRONMENT="production")
    assert not production.introspection_enabled and not production.graphiql_enabled
    opened = Settings(ENVIRONMENT="production", GRAPHQL_INTROSPECTION=True, GRAPHIQL=True)
    assert opened.introspection_enabled and opened.graphiql_enabled
    closed = Settings(ENVIRONMENT="dev", GRAPHQL_INTROSPECTION=False, GRAPHIQL=False)
    assert not closed.introspection_enabled and not closed.graphiql_enabled
    assert Settings(ENVIRONMENT="test").introspection_enabled
