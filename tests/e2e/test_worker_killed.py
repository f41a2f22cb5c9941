"""The fault test: kill -9 the pool process running a scan a third of the way through. With the
default timings (heartbeat timeout 60 s, reaper every 30 s) beat's reaper takes the task back and
another pool process resumes it: SUCCESS within two minutes, every message counted once, exactly
the expected invoices stored, none twice."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from datetime import UTC, datetime, timedelta

from core.settings import settings
from models import Invoice, ScanTask
from models.enums import ScanType, TaskStatus
from tasks.dispatch import start_scan
from tests.support.mail import text_invoice
from tests.support.scans import (
    assert_never_decreased,
    invoice_mailbox,
    mailbox_account,
    wait_until,
    wait_until_finished,
)
from tests.support.services import parent_of

# 300 messages in the window: 150 with a 20-page PDF invoice (some 70 ms of parsing each, so the
# scan takes about 10 s and a third of it can be hit), 50 text invoices, 100 plain mails,
# interleaved so a third of the messages is a third of the time.
MESSAGES = 300
OUTSIDE_WINDOW = 10


def kind(index: int) -> str:
    if index % 2 == 0:
        return "pdf"
    return "text" if index % 6 == 1 else "plain"


def mailbox() -> tuple[list[tuple[bytes, datetime]], set[str]]:
    now = datetime.now(UTC)
    messages, expected = invoice_mailbox(MESSAGES, kind)
    for index in range(OUTSIDE_WINDOW):
        when = now - timedelta(days=200 + index)
        messages.append((text_invoice(90_000 + index, when), when))
    return messages, expected


async def test_a_scan_survives_its_worker_killed(services, dovecot, worker, redis, database):
    assert (settings.TASK_HEARTBEAT_TIMEOUT_SECONDS, settings.REAPER_INTERVAL_SECONDS) == (60, 30)
    messages, expected = await asyncio.to_thread(mailbox)
    account = await mailbox_account(dovecot, messages)
    task = await start_scan(account, ScanType.INBOX, 3, redis)
    states: list[ScanTask] = []
    third = await wait_until(
        task.id,
        lambda t: bool(t.emails_total) and t.emails_scanned * 3 >= (t.emails_total or 0),
        60,
        seen=states,
    )
    assert third.emails_scanned < MESSAGES // 2, "the scan is too fast to be killed a third in"
    victim = third.worker_pid
    assert victim is not None and parent_of(victim) == worker.process.pid
    os.kill(victim, signal.SIGKILL)
    killed = time.monotonic()
    # Beat's reaper first runs one interval after beat starts; started now, its second run is
    # the first that finds the heartbeat older than 60 s (a worst case of 90 s is no better test).
    beat = services.start_beat()
    try:
        final = await wait_until_finished(task.id, 120, seen=states)
    finally:
        services.stop_child(beat)
    recovered_in = time.monotonic() - killed

    assert final.status is TaskStatus.SUCCESS, final.error
    assert recovered_in < 120
    assert final.attempt == 2 and final.worker_pid not in (None, victim)
    assert (final.emails_total, final.emails_scanned, final.error_count) == (MESSAGES, MESSAGES, 0)
    assert final.invoices_found == len(expected)
    stored = await Invoice.find(Invoice.account_id == str(account.id)).to_list()
    numbers = [invoice.invoice_number for invoice in stored]
    assert len(numbers) == len(set(numbers)) == len(expected)
    assert set(numbers) == expected
    assert {invoice.task_id for invoice in stored} == {task.id}
    assert_never_decreased(states)
    # The killed process's message came back at once (acks_late, reject_on_worker_lost) and
    # was handed to another pool process while the task was PROGRESS: it did nothing.
    log = worker.log.read_text(errors="replace")
    assert f"scan {task.id}: nothing to do (status PROGRESS)" in log
