"""Request limits, health endpoints and metrics, against running API processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from core.processes import uvicorn_args, wait_for_port
from tests.support.graphql import Subscription, data_of, gql, token_for
from tests.support.services import free_port


def code_of(body: dict) -> str:
    assert body.get("errors"), body
    return body["errors"][0]["extensions"]["code"]


async def test_query_shape_limits(http) -> None:
    token = token_for("shaper")
    # The schema has no recursive types, so only a query that is also invalid gets this deep;
    # the depth rule still reports it, before any resolver runs.
    deep = "{ me " + "{ x " * 11 + "}" * 12
    body = await gql(http, deep, token=token)
    assert code_of(body) == "BAD_USER_INPUT"
    assert any("depth" in error["message"] for error in body["errors"])
    aliases = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(31)) + " }"
    body = await gql(http, aliases, token=token)
    assert code_of(body) == "BAD_USER_INPUT" and "aliases" in body["errors"][0]["message"].lower()
    tokens = "{ me { " + " ".join(["id"] * 2100) + " } }"
    body = await gql(http, tokens, token=token)
    assert code_of(body) == "BAD_USER_INPUT" and "token" in body["errors"][0]["message"].lower()
    assert data_of(await gql(http, "{ a: me { id } b: me { role } }", token=token))["a"]


async def test_oversized_body_is_refused_with_a_graphql_error(http) -> None:
    big = {"query": "{ me { id } }", "variables": {"pad": "x" * 300_000}}
    response = await http.post("/graphql", json=big)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    async def chunks():  # no Content-Length: the limit still holds
        for _ in range(40):
            yield b"x" * 10_000

    response = await http.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_at_most_20_subscriptions_per_websocket(api_url) -> None:
    async with Subscription(api_url, token_for("many-subs")) as ws:
        for _ in range(20):
            await ws.start("subscription { myTaskUpdates { id } }")
        extra = await ws.start("subscription { myTaskUpdates { id } }")
        async with asyncio.timeout(10):
            messages = [message async for message in ws.messages(extra)]
    assert [m["errors"][0]["extensions"]["code"] for m in messages] == ["RATE_LIMITED"]


async def test_websockets_decline_per_message_deflate(api_url) -> None:
    # Browsers offer it; an event sent to thousands of sockets must not be compressed per socket.
    url = api_url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(
        url, subprotocols=[Subprotocol("graphql-transport-ws")], compression="deflate"
    ) as ws:
        assert ws.request is not None and ws.response is not None
        assert "permessage-deflate" in ws.request.headers["Sec-WebSocket-Extensions"]
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        assert ws.subprotocol == "graphql-transport-ws"


async def test_health_readiness_and_metrics(http) -> None:
    assert (await http.get("/healthz")).status_code == 200
    ready = await http.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"redis": True, "mongodb": True}
    await gql(http, "query Me { me { id } }", token=token_for("metered"))
    text = (await http.get("/metrics")).text
    assert 'invoicescan_graphql_requests_total{operation="Me",outcome="ok",type="query"}' in text
    assert "invoicescan_graphql_request_duration_seconds_bucket" in text
    assert 'invoicescan_scan_tasks{status="SUCCESS"}' in text
    assert "invoicescan_open_subscriptions" in text


@pytest.fixture
def private_stack(tmp_path, redis_url):
    """An API with a store of its own, so the test may stop that store."""
    store_port, api_port = free_port(), free_port()
    env = {**os.environ, "LOCALDB_PORT": str(store_port)}
    env.pop("MONGODB_URL", None)
    store_argv = [
        sys.executable,
        "-m",
        "core.cli",
        "localdb",
        "--port",
        str(store_port),
        "--path",
        str(tmp_path / "store.sqlite3"),
    ]
    processes = {"store": subprocess.Popen(store_argv, env=env)}
    wait_for_port("127.0.0.1", store_port, 30)
    processes["api"] = subprocess.Popen(
        [sys.executable, "-m", *uvicorn_args("127.0.0.1", api_port)], env=env
    )
    wait_for_port("127.0.0.1", api_port, 30)

    def restart_store() -> None:
        processes["store"] = subprocess.Popen(store_argv, env=env)
        wait_for_port("127.0.0.1", store_port, 30)

    yield f"http://127.0.0.1:{api_port}", processes, restart_store
    for process in processes.values():
        process.terminate()
        process.wait(20)


STORE_OUTAGE_SECONDS = 10


async def test_store_down_gives_service_unavailable_and_recovers(private_stack) -> None:
    url, processes, restart_store = private_stack
    token = token_for("weather")
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        assert (await client.get("/readyz")).status_code == 200
        processes["store"].terminate()
        processes["store"].wait(20)
        down = await client.get("/readyz")
        assert down.status_code == 503 and down.json() == {"redis": True, "mongodb": False}
        # Unreachable for 10 s: every answer comes quickly, and it is SERVICE_UNAVAILABLE.
        outage_ends = time.monotonic() + STORE_OUTAGE_SECONDS
        answers = 0
        while time.monotonic() < outage_ends:
            started = time.monotonic()
            response = await client.post(
                "/graphql",
                json={"query": "{ emailAccounts { id } }"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert time.monotonic() - started < 8, "a request hung on the missing store"
            assert response.status_code == 200, response.text
            body = response.json()
            assert code_of(body) == "SERVICE_UNAVAILABLE"
            assert "Traceback" not in str(body) and "Timeout" not in str(body)
            answers += 1
            await asyncio.sleep(1)
        assert answers >= 2
        restart_store()
        async with asyncio.timeout(30):
            while (await client.get("/readyz")).status_code != 200:
                await asyncio.sleep(0.5)
        assert data_of(await gql(client, "{ emailAccounts { id } }", token=token)) == {
            "emailAccounts": []
        }
