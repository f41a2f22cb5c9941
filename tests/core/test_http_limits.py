"""The HTTP server's own limits, against real uvicorn processes started as every place starts
them (core.processes.uvicorn_args): header size, header and body read deadlines, websocket
message size, and the one seam into uvicorn's internals (core/http_protocol.py)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import h11
import httpx
import psutil
import pytest
import uvicorn
import websockets
import yaml
from uvicorn.config import Config
from uvicorn.server import ServerState

from core.cli import build_parser, cmd_api
from core.http_protocol import DeadlineH11Protocol
from core.processes import uvicorn_args
from core.settings import settings
from tests.support.graphql import Subscription, data_of, gql, token_for
from tests.support.own_api import OwnApi, own_api_process

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 1.0


@pytest.fixture(scope="module")
def quick_api(tmp_path_factory, redis_url, database) -> Iterator[OwnApi]:
    """An API whose header and body deadlines are one second."""
    with own_api_process(
        tmp_path_factory.mktemp("quick-api"),
        HTTP_HEADER_TIMEOUT_SECONDS=str(DEADLINE_SECONDS),
        HTTP_BODY_TIMEOUT_SECONDS=str(DEADLINE_SECONDS),
    ) as api:
        yield api


async def open_connection(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = url.removeprefix("http://").split(":")
    return await asyncio.open_connection(host, int(port))


async def answer_and_close(reader: asyncio.StreamReader, within: float) -> bytes:
    """What the server sends until it closes the connection (a reset counts as a close);
    fails if it is still open after `within` seconds."""
    received = b""
    async with asyncio.timeout(within):
        try:
            while chunk := await reader.read(65536):
                received += chunk
        except ConnectionResetError:
            pass
    return received


def rss(process: subprocess.Popen[bytes]) -> int:
    return psutil.Process(process.pid).memory_info().rss


async def test_a_huge_header_is_refused_and_costs_no_memory(quick_api) -> None:
    reader, writer = await open_connection(quick_api.url)
    before = rss(quick_api.process)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: api\r\nX-Padding: ")
    sent, chunk = 0, b"a" * (1024 * 1024)
    try:  # 64 MiB, or until the server stops reading
        for _ in range(64):
            writer.write(chunk)
            await asyncio.wait_for(writer.drain(), 5)
            sent += len(chunk)
    except (ConnectionResetError, BrokenPipeError, TimeoutError):
        pass
    answer = await answer_and_close(reader, within=5)
    writer.close()
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert sent < 64 * 1024 * 1024, "the server read a 64 MiB header"
    assert rss(quick_api.process) - before < 8 * 1024 * 1024
    async with httpx.AsyncClient(base_url=quick_api.url) as http:
        assert (await http.get("/healthz")).status_code == 200


async def test_headers_up_to_the_limit_are_served(quick_api) -> None:
    padding = "a" * (settings.HTTP_MAX_HEADER_BYTES - 1024)  # a very large cookie, say
    async with httpx.AsyncClient(base_url=quick_api.url) as http:
        response = await http.get("/healthz", headers={"X-Padding": padding})
    assert response.status_code == 200 and response.text == "ok"


async def test_a_half_sent_header_is_closed_at_its_deadline(quick_api) -> None:
    reader, writer = await open_connection(quick_api.url)
    began = time.monotonic()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: api\r\n")
    async with httpx.AsyncClient(base_url=quick_api.url) as http:
        assert (await http.get("/healthz")).text == "ok"  # served meanwhile
    answer = await answer_and_close(reader, within=DEADLINE_SECONDS + 4)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer
    assert time.monotonic() - began >= DEADLINE_SECONDS * 0.9


async def test_a_trickled_header_does_not_renew_its_deadline(quick_api) -> None:
    reader, writer = await open_connection(quick_api.url)
    began = time.monotonic()
    closed = asyncio.create_task(answer_and_close(reader, within=DEADLINE_SECONDS + 4))
    with pytest.raises((ConnectionResetError, BrokenPipeError)):
        for byte in b"GET /healthz HTTP/1.1\r\nX-Slow: " + b"a" * 1000:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.1)
            if closed.done():
                raise ConnectionResetError
    await closed
    writer.close()
    assert time.monotonic() - began < DEADLINE_SECONDS + 2


async def test_a_slow_body_is_closed_at_its_deadline(quick_api) -> None:
    reader, writer = await open_connection(quick_api.url)
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"query": '
    )
    began = time.monotonic()
    answer = await answer_and_close(reader, within=DEADLINE_SECONDS + 4)
    writer.close()
    assert answer == b""  # mid-body the connection is closed, without an answer
    assert DEADLINE_SECONDS * 0.9 <= time.monotonic() - began


async def test_keep_alive_and_websockets_outlive_the_deadlines(quick_api) -> None:
    # Idle between requests is the keep-alive timeout's business (5 s), not the header's.
    async with httpx.AsyncClient(base_url=quick_api.url) as http:
        for _ in range(2):
            body = await gql(http, "{ __typename }")
            assert body == {"data": {"__typename": "Query"}}
            await asyncio.sleep(DEADLINE_SECONDS * 1.5)
    token = token_for("deadline-websocket")
    async with Subscription(quick_api.url, token) as ws:
        await asyncio.sleep(DEADLINE_SECONDS * 2.5)
        await ws.ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.ws.recv()) == {"type": "pong"}


async def test_websocket_messages_over_the_limit_close_the_socket(api_url) -> None:
    async def two_mebibytes() -> AsyncIterator[str]:
        # In fragments with pauses: the server's 1009 arrives between two of them, not as a
        # reset in the middle of one large write (which would hide the close code).
        for _ in range(16):
            yield "#" * (128 * 1024)
            await asyncio.sleep(0.05)

    async with Subscription(api_url, token_for("big-message")) as subscription:
        ws = subscription.ws
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(10):
                await ws.send(two_mebibytes())
                while True:
                    await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_messages_under_the_limit_are_served(api_url, http) -> None:
    # In a variable nobody declared: the query text has a limit of its own (MAX_QUERY_LENGTH).
    padding = {"padding": "#" * (settings.WS_MAX_MESSAGE_BYTES // 2)}
    async with Subscription(api_url, token_for("big-but-fine")) as ws:
        op = await ws.start("subscription { myTaskUpdates { id } }", padding)
        await ws.ws.send(json.dumps({"id": op, "type": "complete"}))
        await ws.ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.ws.recv()) == {"type": "pong"}
    assert data_of(await gql(http, "{ __typename }")) == {"__typename": "Query"}


# --- every place starts uvicorn the same way -----------------------------------------------


def test_uvicorn_args_carry_every_limit() -> None:
    args = uvicorn_args("127.0.0.1", 8000)
    option = {name: args[args.index(name) + 1] for name in args if name.startswith("--")}
    assert option["--http"] == "core.http_protocol:DeadlineH11Protocol"
    assert option["--h11-max-incomplete-event-size"] == str(settings.HTTP_MAX_HEADER_BYTES)
    assert option["--ws-max-size"] == str(settings.WS_MAX_MESSAGE_BYTES)
    assert option["--limit-concurrency"] == str(settings.HTTP_LIMIT_CONCURRENCY)


def test_every_way_to_run_the_api_goes_through_uvicorn_args() -> None:
    # `invoicescan api` (the Docker image's command and compose's api service) and `dev`.
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["api"]["command"][:2] == ["invoicescan", "api"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["invoicescan", "api",' in dockerfile
    assert build_parser().parse_args(["api"]).run is cmd_api
    assert "uvicorn_args(" in (ROOT / "core" / "cli.py").read_text()
    assert "uvicorn_args(" in (ROOT / "core" / "dev.py").read_text()


def test_uvicorn_accepts_every_option_we_pass() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    for name in uvicorn_args("127.0.0.1", 8000):
        if name.startswith("--"):
            assert name in result.stdout, f"uvicorn {uvicorn.__version__} lost {name}"


def test_seam_into_uvicorns_h11_protocol() -> None:
    """core/http_protocol.py reads `conn` (the h11 connection), `transport` and `loop` of
    uvicorn's H11Protocol. If a uvicorn release moves any of them, this fails before the
    deadlines silently stop working."""
    config = Config(app=_app, http="core.http_protocol:DeadlineH11Protocol")
    config.load()
    assert config.http_protocol_class is DeadlineH11Protocol
    loop = asyncio.new_event_loop()
    try:
        protocol = DeadlineH11Protocol(
            config=config, server_state=ServerState(), app_state={}, _loop=loop
        )
    finally:
        loop.close()
    assert isinstance(protocol.conn, h11.Connection)
    assert protocol.conn.their_state is h11.IDLE
    assert protocol.loop is loop
    assert hasattr(protocol, "transport")


async def _app(scope: object, receive: object, send: object) -> None:
    """An ASGI app for the seam test, never called."""
