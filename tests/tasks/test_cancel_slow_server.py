"""cancelScan frees a worker held by a server that answers SELECT one byte at a time: the
scan's IMAP connection is closed within 2 s of the cancel, and the next scan runs."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from core.credentials import encrypt_secret
from models import EmailAccount
from models.enums import ImapSecurity, TaskStatus
from tests.support.fake_imap import FakeImap
from tests.support.graphql import data_of, gql, token_for
from tests.support.mail import plain_mail
from tests.support.scans import mailbox_account, wait_until_finished

START = "mutation($id: ID!) { startScan(accountId: $id, months: 1) { taskId } }"
CANCEL = "mutation($id: ID!) { cancelScan(taskId: $id) { status } }"


async def slow_account(port: int) -> EmailAccount:
    user = f"slow{uuid.uuid4().hex[:8]}"
    account = EmailAccount(
        user_id=user,
        email=f"{user}@example.com",
        imap_host="127.0.0.1",
        imap_port=port,
        security=ImapSecurity.NONE,
        username=f"{user}@example.com",
        password_encrypted=encrypt_secret("pw"),
    )
    await account.insert()
    return account


async def start(http: httpx.AsyncClient, account: EmailAccount) -> str:
    body = await gql(http, START, {"id": str(account.id)}, token=token_for(account.user_id))
    return str(data_of(body)["startScan"]["taskId"])


async def until(check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def test_cancel_closes_a_trickling_connection_and_frees_the_worker(
    http: httpx.AsyncClient, worker: Any, dovecot: Any
) -> None:
    server = FakeImap("trickle", trickle_every=1.0)
    try:
        # As many slow scans as the worker has processes: every process is held.
        accounts = [await slow_account(server.port) for _ in range(2)]
        task_ids = [await start(http, account) for account in accounts]

        def all_selecting() -> bool:
            selects = [
                c for c in server.connections if any(b" EXAMINE " in line for line in c.lines)
            ]
            return len(selects) == 2

        await until(all_selecting, 30)
        cancelled_at = time.monotonic()
        for account, task_id in zip(accounts, task_ids, strict=True):
            body = await gql(http, CANCEL, {"id": task_id}, token=token_for(account.user_id))
            assert data_of(body)["cancelScan"]["status"] == "CANCELLED"
        await until(lambda: all(c.closed_at for c in server.connections), 10)
        assert all(c.closed_at - cancelled_at <= 2.0 for c in server.connections)  # type: ignore[operator]

        # The worker is free: a scan of a real mailbox runs and finishes.
        now = datetime.now(UTC)
        mailbox = await mailbox_account(dovecot, [(plain_mail(1, now), now)])
        finished = await wait_until_finished(await start(http, mailbox), 30)
        assert finished.status is TaskStatus.SUCCESS
        for task_id in task_ids:
            assert (await wait_until_finished(task_id, 5)).status is TaskStatus.CANCELLED
    finally:
        server.stop()
