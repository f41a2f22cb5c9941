"""Redis restarts while 50 websocket subscribers follow a scan: every one of them still
receives the terminal SUCCESS (the relay reconnects and each subscription re-reads the task)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import PORTS
from tests.support.graphql import Subscription, data_of, gql, imap_account, token_for
from tests.support.mail import plain_mail, text_invoice

SUBSCRIBERS = 50
MESSAGES = 900
INVOICES = 30
ADD = """mutation($input: AddEmailAccountInput!) { addEmailAccount(input: $input) { id } }"""
START = """mutation($id: ID!) { startScan(accountId: $id, months: 2) { taskId } }"""
HEALTH = """{ systemHealth { status workers { hostname } } }"""
FOLLOW = """subscription($id: ID!) { taskProgress(taskId: $id) {
  status progress emailsScanned invoicesFound } }"""


def mailbox() -> list[tuple[bytes, datetime]]:
    now = datetime.now(UTC)
    mails = []
    for index in range(MESSAGES):
        when = now - timedelta(days=1 + index % 30, minutes=index)
        mails.append(
            (text_invoice(index, when) if index < INVOICES else plain_mail(index, when), when)
        )
    return mails


async def follow(api_url: str, token: str, task_id: str, seen: list[dict[str, Any]]) -> None:
    async with Subscription(api_url, token) as ws:
        op = await ws.start(FOLLOW, {"id": task_id})
        async for message in ws.messages(op):
            seen.append(message["data"]["taskProgress"])


async def test_every_subscriber_gets_success_across_a_redis_restart(
    services, dovecot, worker, api_url, http, database
) -> None:
    user, password = "restart@example.com", "pw-restart"
    dovecot.add_user(user, password)
    dovecot.append(user, password, mailbox())
    token = token_for("restart-user")
    variables = {"input": imap_account(user, password, dovecot.port)}
    account_id = data_of(await gql(http, ADD, variables, token=token))["addEmailAccount"]["id"]
    task_id = data_of(await gql(http, START, {"id": account_id}, token=token))["startScan"][
        "taskId"
    ]

    seen: list[list[dict[str, Any]]] = [[] for _ in range(SUBSCRIBERS)]
    followers = [asyncio.create_task(follow(api_url, token, task_id, updates)) for updates in seen]
    async with asyncio.timeout(60):
        while not all(updates and updates[-1]["progress"] > 0 for updates in seen):
            await asyncio.sleep(0.05)
    assert all(updates[-1]["status"] == "PROGRESS" for updates in seen), "scan ended too soon"

    admin = token_for("restart-admin", admin=True)
    assert data_of(await gql(http, HEALTH, token=admin))["systemHealth"]["status"] == "OK"

    await asyncio.to_thread(services.restart_redis, PORTS.redis)

    async with asyncio.timeout(120):
        await asyncio.gather(*followers)
    finals = [updates[-1] for updates in seen]
    assert {final["status"] for final in finals} == {"SUCCESS"}
    assert {(final["emailsScanned"], final["invoicesFound"]) for final in finals} == {
        (MESSAGES, INVOICES)
    }
    for updates in seen:
        progress = [update["progress"] for update in updates]
        assert progress == sorted(progress)
    # The worker lived through it (kombu's Redis transport used to take it down) and works on.
    assert worker.process.poll() is None
    again = data_of(await gql(http, START, {"id": account_id}, token=token))["startScan"]["taskId"]
    async with Subscription(api_url, token) as ws:
        op = await ws.start(FOLLOW, {"id": again})
        async with asyncio.timeout(60):
            updates = [message["data"]["taskProgress"] async for message in ws.messages(op)]
    assert updates[-1]["status"] == "SUCCESS"
    # The workers answer the admin's inspect again (with pooled broker connections the API kept
    # a reply queue Redis no longer had, and saw no worker until it restarted).
    health = data_of(await gql(http, HEALTH, token=admin))["systemHealth"]
    assert health["status"] == "OK" and health["workers"], health
