"""Real GraphQL clients against the API, as applications use them: graphql-ws (Node, the
graphql-transport-ws protocol) and Python gql over HTTP (aiohttp) and websockets. Each follows a
real scan to its end, cancels one, meets a rejected token and sends a bad variable.

A scan here reads a Dovecot mailbox through a proxy that holds the first FETCH until the test
releases it, so a client always sees the scan running before it ends."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from gql import Client, GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import TransportConnectionFailed, TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from websockets.exceptions import ConnectionClosed

from tests.support.graphql import token_for
from tests.support.node import Event, NodeScript
from tests.support.proxy import StallingProxy
from tests.support.scans import proxied_mailbox, wait_until

MESSAGES = 9
START_SCAN = "mutation Start($id: ID!) { startScan(accountId: $id, months: 1) { taskId status } }"
FOLLOW = """subscription Follow($taskId: ID!) {
  taskProgress(taskId: $taskId) { id status progress emailsScanned invoicesFound }
}"""
CANCEL = "mutation Cancel($taskId: ID!) { cancelScan(taskId: $taskId) { id status } }"
ME = "query Me { me { id } }"
# A client gives up on a rejected token at once (close 4401): well before graphql-ws's retries
# of a 4403 would end (about 40 s).
GIVES_UP_WITHIN_SECONDS = 5


@dataclass
class HeldScan:
    """A mailbox account whose scan, once started, holds at its first FETCH until released."""

    account_id: str
    token: str
    proxy: StallingProxy

    async def running(self, task_id: str) -> None:
        """Wait until the started scan holds, counted and PROGRESS."""
        await asyncio.wait_for(self.proxy.stalled.wait(), 30)
        await wait_until(task_id, lambda task: task.emails_total is not None, 10)


@asynccontextmanager
async def held_scan(dovecot: Any) -> AsyncIterator[HeldScan]:
    async with proxied_mailbox(dovecot, MESSAGES) as (account, proxy):
        proxy.hold_after = b" FETCH "
        yield HeldScan(str(account.id), token_for(account.user_id), proxy)


def ws_url(api_url: str) -> str:
    return api_url.replace("http://", "ws://") + "/graphql"


def assert_followed_to_success(updates: list[dict[str, Any]]) -> None:
    """A held scan's events: PROGRESS first, never backwards, SUCCESS last with every count."""
    assert updates[0]["status"] == "PROGRESS" and updates[0]["emailsScanned"] == 0, updates
    progress = [update["progress"] for update in updates]
    assert progress == sorted(progress), progress
    assert {update["status"] for update in updates[:-1]} == {"PROGRESS"}, updates
    assert updates[-1] | {"id": None} == {
        "id": None,
        "status": "SUCCESS",
        "progress": 100,
        "emailsScanned": MESSAGES,
        "invoicesFound": MESSAGES // 3,
    }


def assert_bad_variable(errors: list[dict[str, Any]]) -> None:
    assert [(error["message"], error["extensions"]["code"]) for error in errors] == [
        (
            "Variable '$taskId' has invalid value: Expected a value of non-null type 'ID!' to be"
            " provided.",
            "BAD_USER_INPUT",
        )
    ]


# graphql-ws (Node)


def of(op_id: str, event: str) -> Any:
    return lambda line: line.get("id") == op_id and line["event"] == event


def ended(op_id: str) -> Any:
    return lambda line: line.get("id") == op_id and line["event"] in ("complete", "error")


def payloads(events: list[Event], op_id: str) -> list[dict[str, Any]]:
    nexts = [event for event in events if of(op_id, "next")(event)]
    assert [event for event in events if of(op_id, "error")(event)] == [], events
    return [event["payload"] for event in nexts]


async def graphql_ws_start(client: NodeScript, held: HeldScan) -> str:
    await client.send({"id": "start", "query": START_SCAN, "variables": {"id": held.account_id}})
    started = payloads(await client.read_until(ended("start"), 30), "start")
    task_id: str = started[0]["data"]["startScan"]["taskId"]
    await held.running(task_id)
    return task_id


async def test_graphql_ws_follows_a_scan_to_its_end(dovecot, worker, api_url, database) -> None:
    async with held_scan(dovecot) as held:
        async with NodeScript(
            "graphql-ws-client.mjs", ws_url(api_url), env={"TOKEN": held.token}
        ) as client:
            task_id = await graphql_ws_start(client, held)
            await client.send({"id": "follow", "query": FOLLOW, "variables": {"taskId": task_id}})
            first = await client.read_until(of("follow", "next"), 30)
            held.proxy.release()
            events = first + await client.read_until(ended("follow"), 60)
            await client.finish()
    assert events[-1] == {"id": "follow", "event": "complete"}
    assert_followed_to_success([p["data"]["taskProgress"] for p in payloads(events, "follow")])
    # graphql-ws connects lazily, per operation here; it closed each connection normally.
    closes = [event for event in client.events if event["event"] == "closed"]
    assert {(event["code"], event["reason"]) for event in closes} == {(1000, "Normal Closure")}


async def test_graphql_ws_cancels_a_scan(dovecot, worker, api_url, database) -> None:
    async with held_scan(dovecot) as held:
        async with NodeScript(
            "graphql-ws-client.mjs", ws_url(api_url), env={"TOKEN": held.token}
        ) as client:
            task_id = await graphql_ws_start(client, held)
            await client.send({"id": "follow", "query": FOLLOW, "variables": {"taskId": task_id}})
            await client.read_until(of("follow", "next"), 30)
            await client.send({"id": "cancel", "query": CANCEL, "variables": {"taskId": task_id}})
            await client.read_until(ended("follow"), 30)
            await client.finish()
    cancel = payloads(client.events, "cancel")
    assert cancel == [{"data": {"cancelScan": {"id": task_id, "status": "CANCELLED"}}}]
    follow = [p["data"]["taskProgress"]["status"] for p in payloads(client.events, "follow")]
    assert follow == ["PROGRESS", "CANCELLED"]


async def test_graphql_ws_gives_up_at_once_on_a_rejected_token(worker, api_url) -> None:
    # Needs the API to close a rejected connection with 4401 (graphql-ws retries 4403).
    began = time.monotonic()
    async with NodeScript(
        "graphql-ws-client.mjs", ws_url(api_url), env={"TOKEN": "not-a-jwt"}
    ) as client:
        await client.send({"id": "me", "query": ME})
        events = await client.read_until(ended("me"), GIVES_UP_WITHIN_SECONDS + 3)
        await client.finish()
    assert time.monotonic() - began < GIVES_UP_WITHIN_SECONDS, events
    error = events[-1]
    assert error["event"] == "error" and error["error"]["code"] == 4401, events
    assert error["error"]["reason"].startswith("Unauthorized"), events
    assert [e for e in events if e["event"] == "closed"] == [
        {"event": "closed", "code": 4401, "reason": error["error"]["reason"]}
    ]


async def test_graphql_ws_reports_a_bad_variable(worker, api_url) -> None:
    async with NodeScript(
        "graphql-ws-client.mjs", ws_url(api_url), env={"TOKEN": token_for("bv")}
    ) as client:
        await client.send({"id": "follow", "query": FOLLOW, "variables": {}})
        await client.send({"id": "me", "query": ME})
        await client.finish()
    errors = [e for e in client.events if of("follow", "error")(e)]
    assert len(errors) == 1, client.events
    assert_bad_variable(errors[0]["error"]["errors"])
    # The connection stays usable: the next operation on it is answered.
    assert payloads(client.events, "me") == [{"data": {"me": {"id": "bv"}}}]


# gql (Python), over HTTP (aiohttp) and websockets


def gql_http(api_url: str, token: str) -> Client:
    headers = {"Authorization": f"Bearer {token}"}
    return Client(transport=AIOHTTPTransport(url=f"{api_url}/graphql", headers=headers))


def gql_ws(api_url: str, token: str) -> Client:
    params = {"Authorization": f"Bearer {token}"}
    return Client(transport=WebsocketsTransport(url=ws_url(api_url), init_payload=params))


async def gql_start(api_url: str, held: HeldScan) -> str:
    async with gql_http(api_url, held.token) as http:
        started = await http.execute(
            GraphQLRequest(START_SCAN, variable_values={"id": held.account_id})
        )
    task_id: str = started["startScan"]["taskId"]
    assert started["startScan"]["status"] == "PENDING"
    await held.running(task_id)
    return task_id


async def test_gql_follows_a_scan_to_its_end(dovecot, worker, api_url, database) -> None:
    async with held_scan(dovecot) as held:
        task_id = await gql_start(api_url, held)
        updates = []
        async with gql_ws(api_url, held.token) as ws:
            follow = GraphQLRequest(FOLLOW, variable_values={"taskId": task_id})
            async with asyncio.timeout(60):
                async for result in ws.subscribe(follow):
                    updates.append(result["taskProgress"])
                    held.proxy.release()
    assert_followed_to_success(updates)


async def test_gql_cancels_a_scan(dovecot, worker, api_url, database) -> None:
    async with held_scan(dovecot) as held:
        task_id = await gql_start(api_url, held)
        statuses = []
        follow = GraphQLRequest(FOLLOW, variable_values={"taskId": task_id})
        cancel = GraphQLRequest(CANCEL, variable_values={"taskId": task_id})
        async with gql_ws(api_url, held.token) as ws, gql_http(api_url, held.token) as http:
            async with asyncio.timeout(30):
                async for result in ws.subscribe(follow):
                    statuses.append(result["taskProgress"]["status"])
                    if len(statuses) == 1:
                        cancelled = await http.execute(cancel)
    assert cancelled == {"cancelScan": {"id": task_id, "status": "CANCELLED"}}
    assert statuses == ["PROGRESS", "CANCELLED"]


async def test_gql_over_http_reports_a_rejected_token(worker, api_url) -> None:
    async with gql_http(api_url, "not-a-jwt") as http:
        with pytest.raises(TransportQueryError) as raised:
            await http.execute(GraphQLRequest(ME))
    assert raised.value.errors is not None
    assert [(e["message"], e["extensions"]["code"]) for e in raised.value.errors] == [
        ("Invalid token", "UNAUTHENTICATED")
    ]


async def test_gql_over_websockets_gives_up_at_once_on_a_rejected_token(worker, api_url) -> None:
    # Needs the API to close a rejected connection with 4401, reason "Unauthorized...". gql
    # offers the legacy graphql-ws protocol first; this asks for graphql-transport-ws only.
    transport = WebsocketsTransport(
        url=ws_url(api_url),
        init_payload={"Authorization": "Bearer not-a-jwt"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    began = time.monotonic()
    with pytest.raises(TransportConnectionFailed) as raised:
        async with asyncio.timeout(GIVES_UP_WITHIN_SECONDS):
            async with Client(transport=transport) as ws:
                await ws.execute(GraphQLRequest(ME))
    assert time.monotonic() - began < GIVES_UP_WITHIN_SECONDS
    closed = raised.value.__cause__
    assert isinstance(closed, ConnectionClosed) and closed.rcvd is not None, repr(closed)
    assert closed.rcvd.code == 4401, closed.rcvd
    assert closed.rcvd.reason.startswith("Unauthorized"), closed.rcvd


async def test_gql_reports_a_bad_variable_over_http(worker, api_url) -> None:
    async with gql_http(api_url, token_for("bv")) as http:
        with pytest.raises(TransportQueryError) as raised:
            await http.execute(GraphQLRequest(CANCEL, variable_values={}))
        # The session stays usable.
        assert await http.execute(GraphQLRequest(ME)) == {"me": {"id": "bv"}}
    assert raised.value.errors is not None
    assert_bad_variable(raised.value.errors)


async def test_gql_reports_a_bad_variable_over_websockets(worker, api_url) -> None:
    async with gql_ws(api_url, token_for("bv")) as ws:
        with pytest.raises(TransportQueryError) as raised:
            async for _ in ws.subscribe(GraphQLRequest(FOLLOW, variable_values={})):
                pass
    assert raised.value.errors is not None
    assert_bad_variable(raised.value.errors)
