"""Browsers on other origins: CORS_ORIGINS lets listed pages call the API over HTTP and open its
websocket; every other origin gets no CORS headers and a refused handshake."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import websockets
from pydantic import ValidationError
from websockets.typing import Origin, Subprotocol

from core.settings import Settings
from tests.support.graphql import token_for
from tests.support.own_api import own_api

ALLOWED = "https://app.example.com"
OTHER = "https://evil.example.net"


@pytest.fixture(scope="module")
def cors_api(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, database: object
) -> Iterator[str]:
    origins = f"{ALLOWED}, http://localhost:5173"
    with own_api(tmp_path_factory.mktemp("api"), CORS_ORIGINS=origins) as url:
        yield url


@pytest.fixture
async def client(cors_api: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=cors_api, timeout=30) as http:
        yield http


def preflight_headers(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }


async def test_preflight_from_an_allowed_origin(client: httpx.AsyncClient) -> None:
    response = await client.options("/graphql", headers=preflight_headers(ALLOWED))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers
    assert "POST" in response.headers["access-control-allow-methods"]
    assert int(response.headers["access-control-max-age"]) >= 600
    assert "access-control-allow-credentials" not in response.headers


async def test_request_from_an_allowed_origin_can_be_read(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ me { id } }"},
        headers={"Origin": ALLOWED, "Authorization": f"Bearer {token_for('cors')}"},
    )
    assert response.json() == {"data": {"me": {"id": "cors"}}}
    assert response.headers["access-control-allow-origin"] == ALLOWED


async def test_other_origins_get_no_cors_headers(client: httpx.AsyncClient) -> None:
    response = await client.options("/graphql", headers=preflight_headers(OTHER))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    simple = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": OTHER}
    )
    assert "access-control-allow-origin" not in simple.headers


async def test_default_is_same_origin_only(http: httpx.AsyncClient) -> None:
    """The session's API runs with CORS_ORIGINS unset."""
    response = await http.options("/graphql", headers=preflight_headers(ALLOWED))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def open_socket(api: str, origin: str) -> str:
    """Connect with `origin` and return what connection_init got back."""
    url = api.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(
        url, subprotocols=[Subprotocol("graphql-transport-ws")], origin=Origin(origin)
    ) as ws:
        payload = {"Authorization": f"Bearer {token_for('cors')}"}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        return str(json.loads(await ws.recv())["type"])


async def test_websocket_from_an_allowed_origin_connects(cors_api: str) -> None:
    assert await open_socket(cors_api, ALLOWED) == "connection_ack"
    assert await open_socket(cors_api, "http://localhost:5173") == "connection_ack"


async def test_websocket_from_another_origin_is_refused(cors_api: str, api_url: str) -> None:
    for api in (cors_api, api_url):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await open_socket(api, OTHER)
        assert refused.value.response.status_code == 403
    with pytest.raises(websockets.InvalidStatus):
        await open_socket(api_url, ALLOWED)  # not listed for the session's API


@pytest.mark.parametrize(
    "value",
    [
        "*",
        "https://app.example.com/path",
        "ftp://files.example.com",
        "app.example.com",
        "https://:secret@app.example.com",
        "https://user@app.example.com",
    ],
)
def test_cors_origins_must_be_origins(value: str) -> None:
    with pytest.raises(ValidationError, match="CORS_ORIGINS"):
        Settings(CORS_ORIGINS=value)


def test_cors_origins_are_read_as_browsers_send_them() -> None:
    listed = Settings(CORS_ORIGINS="HTTPS://App.Example.com:443, http://localhost:5173")
    assert listed.CORS_ORIGINS == ["https://app.example.com", "http://localhost:5173"]
    assert Settings(CORS_ORIGINS='["https://a.example"]').CORS_ORIGINS == ["https://a.example"]
    assert Settings().CORS_ORIGINS == []
