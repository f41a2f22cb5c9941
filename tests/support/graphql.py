"""A small GraphQL client for tests: HTTP requests and graphql-transport-ws subscriptions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import websockets
from websockets.typing import Subprotocol

from core.auth import issue_token


def token_for(user: str, *, admin: bool = False) -> str:
    return issue_token(user, admin=admin, ttl_seconds=3600)


def imap_account(email: str, password: str, port: int, **fields: Any) -> dict[str, Any]:
    """An AddEmailAccountInput for a plain-text IMAP server on this machine (the test Dovecot,
    or a closed port where the test never logs in)."""
    return {
        "email": email,
        "imapHost": "127.0.0.1",
        "imapPort": port,
        "security": "NONE",
        "password": password,
        **fields,
    }


async def gql(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
) -> dict[str, Any]:
    """POST a GraphQL request and return the decoded body (data and errors)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code in (200, 400), response.text
    return response.json()


def data_of(body: dict[str, Any]) -> dict[str, Any]:
    assert not body.get("errors"), body["errors"]
    return body["data"]


class Subscription:
    """One graphql-transport-ws connection, authenticated in connection_init."""

    def __init__(self, api_url: str, token: str | None) -> None:
        self.url = api_url.replace("http://", "ws://") + "/graphql"
        self.token = token
        self.ws: Any = None
        self._next_id = 0

    async def __aenter__(self) -> Subscription:
        self.ws = await websockets.connect(
            self.url, subprotocols=[Subprotocol("graphql-transport-ws")]
        )
        payload = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        await self.ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await self.ws.recv())
        assert ack["type"] == "connection_ack", ack
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()

    async def start(self, query: str, variables: dict[str, Any] | None = None) -> str:
        return await self.send_subscribe({"query": query, "variables": variables or {}})

    async def send_subscribe(self, payload: dict[str, Any]) -> str:
        """Send a `subscribe` with `payload` as it is (tests of malformed payloads); its id."""
        self._next_id += 1
        op_id = str(self._next_id)
        await self.ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": payload}))
        return op_id

    async def next_message(self, op_id: str) -> dict[str, Any]:
        """The next message for `op_id`, whatever its type."""
        while True:
            message: dict[str, Any] = json.loads(await self.ws.recv())
            if message.get("id") == op_id:
                return message

    async def messages(self, op_id: str) -> AsyncIterator[dict[str, Any]]:
        """The `next` payloads of `op_id` until it completes; an `error` message raises."""
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("id") != op_id:
                continue
            if message["type"] == "next":
                yield message["payload"]
            elif message["type"] == "complete":
                return
            elif message["type"] == "error":
                raise AssertionError(f"subscription error: {message['payload']}")
