"""addEmailAccount's trial logins run in their own bounded pool, at most a few per user: logins
to a server that never greets cannot hold the threads every other request needs."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx

from tests.support.fake_imap import FakeImap
from tests.support.graphql import gql, imap_account, token_for

ADD = "mutation($input: AddEmailAccountInput!) { addEmailAccount(input: $input) { id email } }"
ACCOUNTS = "{ emailAccounts { id } }"


async def test_silent_servers_do_not_delay_another_user(
    http: httpx.AsyncClient, dovecot: Any
) -> None:
    silent = FakeImap("silent")
    try:
        attacker = token_for(f"a{uuid.uuid4().hex[:8]}")
        slow = [
            asyncio.create_task(
                gql(
                    http,
                    ADD,
                    {"input": imap_account(f"s{n}@example.com", "pw", silent.port)},
                    token=attacker,
                )
            )
            for n in range(6)
        ]
        await asyncio.sleep(1.0)  # the attacker's logins are under way
        # Beyond two at once, the attacker is turned away at once.
        done = [task.result() for task in slow if task.done()]
        assert len(done) == 4
        assert {body["errors"][0]["extensions"]["code"] for body in done} == {"RATE_LIMITED"}

        name = f"b{uuid.uuid4().hex[:8]}"
        email, password = f"{name}@example.com", "pw-b"
        await asyncio.to_thread(dovecot.add_user, email, password)
        started = time.monotonic()
        other = token_for(name)
        listed = await gql(http, ACCOUNTS, token=other)
        added = await gql(
            http, ADD, {"input": imap_account(email, password, dovecot.port)}, token=other
        )
        assert time.monotonic() - started < 5
        assert listed == {"data": {"emailAccounts": []}}
        assert added["data"]["addEmailAccount"]["email"] == email

        # The attacker's two logins end at the verify deadline (20 s), naming the failure.
        pending = [task for task in slow if not task.done()]
        assert len(pending) == 2
        for body in await asyncio.gather(*pending):
            assert body["errors"][0]["extensions"] == {
                "code": "BAD_USER_INPUT",
                "argument": "input",
            }
            assert body["errors"][0]["message"].endswith("failed: timed out")
    finally:
        silent.stop()
