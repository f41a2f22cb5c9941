"""A scan larger than SCAN_PART_MESSAGES (400 in the tests, tests/conftest.py) read as parts by
the worker's two pool processes: every message counted once, exactly the expected invoices, a
cancel that stops every part, a killed part recovered alone, and another user's scan that starts
within seconds while the large one runs."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from core.settings import settings
from models import EmailAccount, Invoice, ScanTask
from models.enums import ImapSecurity, ScanType, TaskStatus
from models.scan_task import PartState
from tasks.cancel import cancel_task
from tasks.dispatch import start_scan
from tests.support.mail import text_invoice
from tests.support.scans import (
    assert_never_decreased,
    invoice_mailbox,
    mailbox_account,
    stored,
    wait_until,
    wait_until_finished,
)
from tests.support.services import parent_of

# 1,000 messages, 3 parts of at most 400: every fifth a 5-page PDF invoice (parsing them makes
# the scan last long enough to be cancelled, killed or overtaken), every tenth of the rest a
# text invoice.
MESSAGES = 1000
PARTS = 3
PDF_PAGES = 5


def kind(index: int) -> str:
    if index % 5 == 0:
        return "pdf"
    return "text" if index % 10 == 1 else "plain"


def large_mailbox() -> tuple[list[tuple[bytes, datetime]], set[str]]:
    return invoice_mailbox(MESSAGES, kind, PDF_PAGES)


@pytest.fixture(scope="module")
async def shared_mailbox(dovecot, database) -> tuple[EmailAccount, set[str]]:
    """One Dovecot mailbox of MESSAGES mails that each test scans from an account of its own
    (the scanner keeps its read position per account)."""
    messages, expected = await asyncio.to_thread(large_mailbox)
    return await mailbox_account(dovecot, messages), expected


async def account_on(mailbox: EmailAccount) -> EmailAccount:
    """A new account (of a new user) on the same mailbox."""
    account = EmailAccount(
        user_id=f"split-{uuid.uuid4().hex[:8]}",
        email=mailbox.email,
        imap_host=mailbox.imap_host,
        imap_port=mailbox.imap_port,
        security=ImapSecurity.NONE,
        username=mailbox.username,
        password_encrypted=mailbox.password_encrypted,
    )
    await account.insert()
    return account


async def assert_exact_invoices(account: EmailAccount, task: ScanTask, expected: set[str]) -> None:
    stored_invoices = await Invoice.find(Invoice.account_id == str(account.id)).to_list()
    numbers = [invoice.invoice_number for invoice in stored_invoices]
    assert len(numbers) == len(set(numbers)), "an invoice was stored twice"
    assert set(numbers) == expected
    assert {invoice.task_id for invoice in stored_invoices} == {task.id}


async def test_a_large_scan_is_read_in_parts_by_every_process(
    shared_mailbox, dovecot, worker, redis
) -> None:
    assert settings.SCAN_PART_MESSAGES == 400
    mailbox, expected = shared_mailbox
    account = await account_on(mailbox)
    task = await start_scan(account, ScanType.INBOX, 3, redis)
    states: list[ScanTask] = []
    await wait_until(task.id, lambda t: t.emails_scanned >= 50, 120, seen=states)

    # Another user's small scan, started while both pool processes read parts, gets one
    # within a slice (SCAN_SLICE_SECONDS, 3 s): its message is taken before any part's.
    now = datetime.now(UTC)
    small_account = await mailbox_account(
        dovecot, [(text_invoice(i, now), now - timedelta(days=1)) for i in range(20)]
    )
    asked = time.monotonic()
    small = await start_scan(small_account, ScanType.INBOX, 3, redis)
    await wait_until(small.id, lambda t: t.status is not TaskStatus.PENDING, 30, every=0.05)
    started_in = time.monotonic() - asked
    assert (await stored(task.id)).status is TaskStatus.PROGRESS, "the large scan ended first"
    assert started_in < 5, f"the small scan waited {started_in:.1f} s for a worker"
    finished = await wait_until_finished(small.id, 60)
    assert (finished.status, finished.invoices_found) == (TaskStatus.SUCCESS, 20)

    final = await wait_until_finished(task.id, 180, seen=states)

    assert final.status is TaskStatus.SUCCESS, final.error
    assert (final.emails_total, final.emails_scanned, final.error_count) == (MESSAGES, MESSAGES, 0)
    assert final.invoices_found == len(expected)
    # The parts' own counts (SUCCESS counts the stored invoices again): never one too many.
    counted = [s.invoices_found for s in states if s.status is TaskStatus.PROGRESS]
    assert counted and max(counted) <= len(expected)
    assert (final.parts_total, final.parts_done, final.parts_in_flight) == (PARTS, PARTS, 0)
    assert final.position is not None
    parts = list(final.position.parts.values())
    assert [part.messages for part in parts] == [400, 400, 200]
    assert {(part.state, part.attempt) for part in parts} == {(PartState.DONE, 1)}
    assert all(part.read_up_to == part.last_uid for part in parts)
    # Spread: the parts were read by both pool processes of the worker, not one after another.
    readers = {
        pid
        for state in states
        for part in (state.position.parts if state.position else {}).values()
        if (pid := part.worker_pid)
    }
    assert len(readers) == 2 and all(parent_of(pid) == worker.process.pid for pid in readers)
    await assert_exact_invoices(account, final, expected)
    assert_never_decreased(states)
    # Several parts wrote at once, and progress still only went forward, to 100 at the end.
    assert final.progress == 100

    # The folder is remembered as read to its end: a rescan of the window reads nothing.
    again = await start_scan(account, ScanType.INBOX, 3, redis)
    rescan = await wait_until_finished(again.id, 60)
    assert rescan.status is TaskStatus.SUCCESS
    assert (rescan.emails_total, rescan.parts_total) == (0, 0)


async def test_a_cancel_stops_every_part(shared_mailbox, dovecot, worker, redis) -> None:
    mailbox, _ = shared_mailbox
    account = await account_on(mailbox)
    task = await start_scan(account, ScanType.INBOX, 3, redis)
    running = await wait_until(
        task.id,
        lambda t: t.parts_total == PARTS and t.emails_scanned >= 100,
        120,
    )
    assert running.status is TaskStatus.PROGRESS
    await cancel_task(running, redis)
    # Every part notices within about a second (its next write, or the cancel watch).
    await asyncio.sleep(3)
    settled = await stored(task.id)
    invoices = await Invoice.find(Invoice.account_id == str(account.id)).count()
    await asyncio.sleep(3)
    later = await stored(task.id)
    assert later.status is TaskStatus.CANCELLED
    assert (later.emails_scanned, later.seq) == (settled.emails_scanned, settled.seq)
    assert later.emails_scanned < MESSAGES
    assert await Invoice.find(Invoice.account_id == str(account.id)).count() == invoices
    # No part reads on unseen: both pool processes are free, and a new scan starts at once.
    now = datetime.now(UTC)
    small = await start_scan(
        await mailbox_account(dovecot, [(text_invoice(1, now), now - timedelta(days=1))]),
        ScanType.INBOX,
        3,
        redis,
    )
    asked = time.monotonic()
    await wait_until(small.id, lambda t: t.status is not TaskStatus.PENDING, 30, every=0.05)
    assert time.monotonic() - asked < 2


async def test_a_killed_part_is_recovered_alone(
    shared_mailbox, services, worker, redis, monkeypatch
) -> None:
    mailbox, expected = shared_mailbox
    account = await account_on(mailbox)
    task = await start_scan(account, ScanType.INBOX, 3, redis)
    states: list[ScanTask] = []

    def a_part_a_third_in(t: ScanTask) -> bool:
        parts = t.position.parts.values() if t.position else []
        return any(p.state is PartState.RUNNING and p.read_up_to - p.first_uid > 130 for p in parts)

    running = await wait_until(task.id, a_part_a_third_in, 120, seen=states)
    assert running.position is not None
    key, victim = next(
        (key, part)
        for key, part in running.position.parts.items()
        if part.state is PartState.RUNNING and part.read_up_to - part.first_uid > 130
    )
    assert victim.worker_pid is not None and parent_of(victim.worker_pid) == worker.process.pid
    os.kill(victim.worker_pid, signal.SIGKILL)
    killed = time.monotonic()
    # Beat with a short heartbeat timeout (the shortest allowed) and a frequent reaper.
    monkeypatch.setenv("TASK_HEARTBEAT_TIMEOUT_SECONDS", "20")
    monkeypatch.setenv("REAPER_INTERVAL_SECONDS", "5")
    beat = services.start_beat()
    try:
        final = await wait_until_finished(task.id, 150, seen=states)
        # Beat lived through its schedule's syncs (its shelve on dbm.sqlite3 used to die).
        assert beat.poll() is None
    finally:
        services.stop_child(beat)

    assert final.status is TaskStatus.SUCCESS, final.error
    assert time.monotonic() - killed < 150
    assert (final.emails_total, final.emails_scanned, final.error_count) == (MESSAGES, MESSAGES, 0)
    assert final.invoices_found == len(expected)
    assert final.position is not None
    attempts = {k: part.attempt for k, part in final.position.parts.items()}
    # Only the killed part ran again; the others were not read twice.
    assert attempts == {k: 2 if k == key else 1 for k in attempts}
    await assert_exact_invoices(account, final, expected)
    assert_never_decreased(states)
