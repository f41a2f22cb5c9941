"""Helpers for tests that run real scans: an account over a Dovecot mailbox, stored directly, and
waiting on a task's stored state."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from core.credentials import encrypt_secret
from models import EmailAccount, ScanTask
from models.email_account import utcnow
from models.enums import ImapSecurity, ScanType, TaskStatus
from models.scan_task import FolderMark, ScanPosition
from scanner.messages import parse_message
from scanner.reading import ReadMessage
from tasks.mailbox import scan_limits
from tests.support.mail import long_pdf_invoice, plain_mail, text_invoice
from tests.support.proxy import StallingProxy


async def mailbox_account(
    dovecot: Any,
    messages: list[tuple[bytes, datetime]],
    *,
    group_addresses: list[str] | None = None,
    port: int | None = None,
) -> EmailAccount:
    """A new Dovecot user holding `messages` in its INBOX, and its stored account (owned by a
    user of the same name); `port` points the account elsewhere, e.g. at a proxy."""
    name = f"u{uuid.uuid4().hex[:10]}"
    email, password = f"{name}@example.com", f"pw-{name}"
    await asyncio.to_thread(dovecot.add_user, email, password)
    if messages:
        await asyncio.to_thread(dovecot.append, email, password, messages)
    account = EmailAccount(
        user_id=name,
        email=email,
        imap_host=dovecot.host,
        imap_port=port or dovecot.port,
        security=ImapSecurity.NONE,
        username=email,
        password_encrypted=encrypt_secret(password),
        group_addresses=group_addresses or [],
    )
    await account.insert()
    return account


@asynccontextmanager
async def proxied_mailbox(
    dovecot: Any, count: int
) -> AsyncIterator[tuple[EmailAccount, StallingProxy]]:
    """An account whose mailbox (`count` mails of yesterday, every third a text invoice) is read
    through a StallingProxy, which the caller tells where to hold; closed at the end."""
    now = datetime.now(UTC)
    mails = [
        (text_invoice(i, now) if i % 3 == 0 else plain_mail(i, now), now - timedelta(days=1))
        for i in range(count)
    ]
    proxy = StallingProxy(dovecot.host, dovecot.port)
    port = await proxy.start()
    try:
        yield await mailbox_account(dovecot, mails, port=port), proxy
    finally:
        await proxy.close()


def invoice_mailbox(
    count: int, kind: Callable[[int], str], pdf_pages: int = 20
) -> tuple[list[tuple[bytes, datetime]], set[str]]:
    """`count` mails of the last 20 days, each as `kind(index)` says: a `pdf_pages`-page PDF
    invoice ("pdf"), a text invoice ("text") or a plain mail; and the invoice numbers a scan
    must find in them."""
    now = datetime.now(UTC)
    messages, expected = [], set()
    for index in range(count):
        when = now - timedelta(days=1 + index % 20, minutes=index)
        if kind(index) == "pdf":
            messages.append((long_pdf_invoice(index, when, pdf_pages), when))
            expected.add(f"OS-{index:05d}")
        elif kind(index) == "text":
            messages.append((text_invoice(index, when), when))
            expected.add(f"INV-{index:05d}")
        else:
            messages.append((plain_mail(index, when), when))
    return messages, expected


async def running_scan_task(user_id: str, emails_total: int) -> ScanTask:
    """A PROGRESS task of a stored account of `user_id`, about to read `emails_total` messages
    of INBOX (folder key "k")."""
    now = utcnow()
    account = EmailAccount(
        user_id=user_id,
        email=f"{user_id}@example.com",
        imap_host="imap.example.com",
        imap_port=993,
        security=ImapSecurity.SSL,
        username=f"{user_id}@example.com",
    )
    await account.insert()
    task = ScanTask(
        id=str(uuid.uuid4()),
        account_id=str(account.id),
        user_id=user_id,
        scan_type=ScanType.INBOX,
        months=1,
        status=TaskStatus.PROGRESS,
        started_at=now,
        heartbeat_at=now,
        emails_total=emails_total,
        position=ScanPosition(
            since=now.date(), folders={"k": FolderMark(folder="INBOX", uidvalidity=1, read_up_to=0)}
        ),
    )
    await task.insert()
    return task


def read_messages(make_mail: Callable[[int, datetime], bytes], count: int) -> list[ReadMessage]:
    """`count` messages (UIDs 1..count) as a worker holds them once read: make_mail(uid, now)."""
    limits = scan_limits()
    now = datetime.now(UTC)
    return [
        ReadMessage(uid, now, parsed=parse_message(make_mail(uid, now), limits))
        for uid in range(1, count + 1)
    ]


async def stored(task_id: str) -> ScanTask:
    task = await ScanTask.get(task_id)
    assert task is not None, f"task {task_id} is gone"
    return task


async def wait_until(
    task_id: str,
    done: Callable[[ScanTask], bool],
    timeout: float,
    *,
    seen: list[ScanTask] | None = None,
    every: float = 0.1,
) -> ScanTask:
    """Poll the stored task until `done(task)`; every state read is appended to `seen`."""
    deadline = time.monotonic() + timeout
    while True:
        task = await stored(task_id)
        if seen is not None:
            seen.append(task)
        if done(task):
            return task
        if time.monotonic() > deadline:
            raise TimeoutError(f"task {task_id} still {task.status} {task.current_status!r}")
        await asyncio.sleep(every)


async def wait_until_finished(
    task_id: str, timeout: float, *, seen: list[ScanTask] | None = None
) -> ScanTask:
    return await wait_until(task_id, lambda t: t.status.is_terminal, timeout, seen=seen)


def assert_never_decreased(states: list[ScanTask]) -> None:
    """Progress and the counters a run keeps never went down across the states read."""
    for field in ("progress", "emails_scanned", "invoices_found", "bytes_fetched", "seq"):
        values = [getattr(state, field) for state in states]
        assert values == sorted(values), f"{field} decreased: {values}"
