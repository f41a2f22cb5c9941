"""What the scan benchmarks share: accounts and a mailbox to scan, starting and dropping scans,
and stopping workers.

Several accounts (of different users) may scan one Dovecot mailbox: the scanner keeps its
position per account, so each scan reads all of it. Dovecot lets one mail user hold 10 sessions
from one address (mail_max_userip_connections), more than any benchmark runs at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from datetime import UTC, datetime, timedelta

import httpx

from bench.stack import Stack
from tests.support.graphql import data_of, gql, token_for
from tests.support.mail import plain_mail, text_invoice

ADD = "mutation($i: AddEmailAccountInput!) { addEmailAccount(input: $i) { id } }"
START = "mutation($id: ID!) { startScan(accountId: $id, months: 3) { taskId status } }"
WORKER_STOP_SECONDS = 15.0


async def add_accounts(
    http: httpx.AsyncClient, stack: Stack, user: str, email: str, password: str, count: int
) -> list[str]:
    ids = []
    for _ in range(count):
        body = await gql(
            http,
            ADD,
            {
                "i": {
                    "email": email,
                    "imapHost": "127.0.0.1",
                    "imapPort": stack.ports.imap,
                    "security": "NONE",
                    "password": password,
                    "verify": False,
                }
            },
            token=token_for(user),
        )
        ids.append(data_of(body)["addEmailAccount"]["id"])
    return ids


async def drop_queued(task_ids: list[str]) -> None:
    """Cancel these scans (a running one stops at its next write) and empty the queue."""
    from models import ScanTask
    from models.enums import ACTIVE_STATUSES, TaskStatus
    from tasks.celery_app import app

    for task_id in task_ids:
        await ScanTask.apply_changes(
            task_id, {"status": TaskStatus.CANCELLED}, only_if=ACTIVE_STATUSES
        )
    await asyncio.to_thread(app.control.purge)


async def task_ids_of(user: str) -> list[str]:
    from models import ScanTask

    return [task.id for task in await ScanTask.find(ScanTask.user_id == user).to_list()]


def fill_mailbox(stack: Stack, user: str, messages: int) -> None:
    """A mail user whose INBOX holds `messages` mails of the last 80 days, one in ten an
    invoice."""
    now = datetime.now(UTC)
    stack.dovecot.add_user(user, "pw")
    mails = []
    for i in range(messages):
        when = now - timedelta(days=1 + i % 80, minutes=i)
        mails.append((text_invoice(i, when) if i % 10 == 0 else plain_mail(i, when), when))
    stack.dovecot.append(user, "pw", mails)


async def scanning_accounts(
    http: httpx.AsyncClient, stack: Stack, users: list[str], mailbox: str
) -> dict[str, str]:
    """One account per user, all on `mailbox`: user to account id."""
    accounts = {}
    for user in users:
        [accounts[user]] = await add_accounts(http, stack, user, mailbox, "pw", 1)
    return accounts


async def start_scan(http: httpx.AsyncClient, user: str, account_id: str) -> str:
    """Start a scan of the account; its task id."""
    body = await gql(http, START, {"id": account_id}, token=token_for(user))
    return str(data_of(body)["startScan"]["taskId"])


async def wait_running(task_ids: list[str], count: int, timeout: float = 60) -> None:
    """Wait until `count` of these tasks are in PROGRESS."""
    from models import ScanTask
    from models.enums import TaskStatus

    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        tasks = await ScanTask.find({"_id": {"$in": task_ids}}).to_list()
        if sum(task.status is TaskStatus.PROGRESS for task in tasks) >= count:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"fewer than {count} scans running after {timeout} s")


async def count_running(task_ids: list[str]) -> int:
    from models import ScanTask
    from models.enums import TaskStatus

    tasks = await ScanTask.find({"_id": {"$in": task_ids}}).to_list()
    return sum(task.status is TaskStatus.PROGRESS for task in tasks)


async def stop_workers(stack: Stack) -> None:
    """Stop every scan worker of the stack (warm shutdown: a cancelled scan stops at its next
    write), so the next measurement has only the workers it starts itself."""
    for name, process in stack.services.children.children:
        if not name.startswith("worker-") or process.poll() is not None:
            continue
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.to_thread(process.wait), WORKER_STOP_SECONDS)
        except TimeoutError:
            # Its own session (ChildProcesses starts each so): the pool processes go with it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await asyncio.to_thread(process.wait)
