"""A task taken back from a lost worker resumes: it reads on from the position stored with its
counters, keeps and continues them, and neither stores nor counts an invoice twice."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.credentials import decrypt_secret
from models import EmailAccount, Invoice, ScanTask
from models.email_account import FolderSync, utcnow
from models.enums import ScanType, TaskStatus
from models.scan_task import FolderMark, ScanPosition
from scanner.folders import inbox_work
from scanner.imap import ImapLogin, ImapSession
from scanner.reading import ReadMessage, read_batch
from scanner.window import window_start
from tasks.batches import invoices_of_batch, store_new
from tasks.folder_sync import remember_read
from tasks.mailbox import scan_limits
from tasks.progress import task_channel
from tasks.reaper import reap_stale_tasks
from tests.support.mail import plain_mail, text_invoice
from tests.support.scans import mailbox_account, wait_until_finished

MESSAGES = 120
COUNTED = 60  # what the lost run had counted (and stored with its position)
READ = 100  # what it had read: two batches, their invoices stored, the account's record at 100


def mailbox() -> list[tuple[bytes, datetime]]:
    now = datetime.now(UTC)
    messages = []
    for index in range(MESSAGES):
        when = now - timedelta(days=1, minutes=index)
        raw = text_invoice(index, when) if index % 4 == 0 else plain_mail(index, when)
        messages.append((raw, when))
    return messages


def read_all(account: EmailAccount, since: date) -> tuple[int, list[ReadMessage]]:
    login = ImapLogin(
        host=account.imap_host,
        port=account.imap_port,
        security=account.security,
        username=account.username,
        password=decrypt_secret(account.password_encrypted or ""),
        oauth2_token=None,
        timeout=30,
        allow_private_hosts=True,
    )
    with ImapSession(login) as session:
        [work] = inbox_work(session, since)
        read = []
        for start in range(0, len(work.uids), 50):
            read += read_batch(session, work.uids[start : start + 50], scan_limits())
    return work.uidvalidity, read


async def lost_run(account: EmailAccount) -> tuple[ScanTask, list[ReadMessage]]:
    """The state a worker killed mid-batch leaves: invoices stored for everything it read, its
    counters and position stored at message COUNTED, the account's record a batch further."""
    since = window_start(1, datetime.now(UTC).date())
    uidvalidity, read = await asyncio.to_thread(read_all, account, since)
    assert len(read) == MESSAGES
    task = ScanTask(
        id=str(uuid.uuid4()),
        account_id=str(account.id),
        user_id=account.user_id,
        scan_type=ScanType.INBOX,
        months=1,
    )
    found = invoices_of_batch(task, "INBOX", read[:READ], scan_limits())
    await store_new([invoice for invoices in found if invoices for invoice in invoices])
    work = inbox_work_of(uidvalidity, read)
    await remember_read(account, "INBOX", work, since, read[READ - 1].uid)
    started = utcnow() - timedelta(minutes=3)
    task.status, task.current_status = TaskStatus.PROGRESS, "Processing emails"
    task.started_at, task.heartbeat_at = started, started + timedelta(seconds=40)
    task.worker, task.worker_pid = "lost@host", 4242
    task.emails_total, task.emails_scanned = MESSAGES, COUNTED
    task.invoices_found = sum(len(invoices or ()) for invoices in found[:COUNTED])
    task.bytes_fetched = sum(message.bytes_fetched for message in read[:COUNTED])
    task.progress, task.seq = COUNTED * 100 // MESSAGES, 30
    mark = FolderMark(folder="INBOX", uidvalidity=uidvalidity, read_up_to=read[COUNTED - 1].uid)
    task.position = ScanPosition(since=since, folders={FolderSync.key("INBOX", "INBOX"): mark})
    await task.insert()
    return task, read


def inbox_work_of(uidvalidity: int, read: list[ReadMessage]) -> Any:
    from scanner.folders import FolderWork

    return FolderWork("INBOX", uidvalidity, [message.uid for message in read])


async def test_a_task_taken_back_resumes_where_its_counters_stand(
    dovecot, worker, redis, database
) -> None:
    account = await mailbox_account(dovecot, mailbox())
    task, read = await lost_run(account)
    pubsub = redis.pubsub()
    await pubsub.subscribe(task_channel(task.id))
    events: list[dict[str, Any]] = []

    async def listen() -> None:
        async for message in pubsub.listen():
            if message["type"] == "message":
                events.append(json.loads(message["data"]))

    listener = asyncio.create_task(listen())
    try:
        assert await reap_stale_tasks(redis) >= 1
        final = await wait_until_finished(task.id, 60)
        await asyncio.sleep(0.2)
    finally:
        listener.cancel()
        await pubsub.aclose()

    assert final.status is TaskStatus.SUCCESS, final.error
    assert (final.emails_total, final.emails_scanned, final.error_count) == (MESSAGES, MESSAGES, 0)
    assert final.invoices_found == MESSAGES // 4
    assert final.bytes_fetched == sum(message.bytes_fetched for message in read)
    assert (final.attempt, final.started_at) == (2, task.started_at)
    assert final.worker == f"test-worker@{socket.gethostname()}" and final.worker_pid != 4242
    assert final.actual_duration_seconds is not None and final.actual_duration_seconds > 170
    invoices = await Invoice.find(Invoice.account_id == str(account.id)).to_list()
    assert len(invoices) == MESSAGES // 4
    assert {invoice.task_id for invoice in invoices} == {task.id}
    assert sorted(invoice.subject for invoice in invoices) == sorted(
        f"Your invoice INV-{index:05d}" for index in range(0, MESSAGES, 4)
    )

    assert events[0]["status"] == "PENDING" and events[0]["seq"] == task.seq + 1
    assert events[-1]["status"] == "SUCCESS"
    for name in ("progress", "emails_scanned", "invoices_found", "bytes_fetched"):
        values = [task.model_dump()[name]] + [event[name] for event in events]
        assert values == sorted(values), f"{name} went down: {values}"
    seqs = [event["seq"] for event in events]
    assert seqs == sorted(set(seqs))
    planned = next(event for event in events if event["emails_total"] is not None)
    assert planned["emails_total"] == MESSAGES
    refreshed = await EmailAccount.get(account.id)
    assert refreshed is not None
    assert refreshed.folder_sync[FolderSync.key("INBOX", "INBOX")].last_uid == read[-1].uid
