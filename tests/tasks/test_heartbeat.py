"""The heartbeat goes on while the worker's event loop waits on a thread, and the scan's PDF
parsing runs in a thread, so the loop (and the heartbeat on it) never stalls behind it."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
from beanie import PydanticObjectId

from models import EmailAccount, Invoice, ScanTask
from models.enums import TaskStatus
from scanner.messages import parse_message
from scanner.reading import ReadMessage
from tasks.batches import FolderFindings
from tasks.heartbeat import HEARTBEAT_INTERVAL_SECONDS, Heartbeat
from tasks.mailbox import scan_limits
from tasks.recorder import TaskNoLongerRunning, TaskRecorder
from tests.support.mail import long_pdf_invoice
from tests.support.scans import read_messages, running_scan_task, stored

PDF_MAILS = 20


def test_the_interval_is_well_under_the_reapers_timeout() -> None:
    from core.settings import Settings

    smallest_timeout = Settings.model_fields["TASK_HEARTBEAT_TIMEOUT_SECONDS"].metadata[0].ge
    assert HEARTBEAT_INTERVAL_SECONDS <= 10 and 3 * HEARTBEAT_INTERVAL_SECONDS < smallest_timeout


async def test_the_heartbeat_goes_on_while_the_loop_waits_on_a_thread(database) -> None:
    task = await running_scan_task("beating", PDF_MAILS)
    seen = []
    async with Heartbeat(task.id, 1, interval=0.2):
        waiting = asyncio.create_task(asyncio.to_thread(time.sleep, 1.5))
        while not waiting.done():
            seen.append((await stored(task.id)).heartbeat_at)
            await asyncio.sleep(0.1)
    beats = sorted({beat for beat in seen if beat is not None})
    assert len(beats) >= 5, beats
    assert (await stored(task.id)).seq == task.seq  # no public change, no event
    await ScanTask.apply_changes(task.id, {"status": TaskStatus.CANCELLED})


async def test_invoice_pdfs_are_parsed_off_the_event_loop(redis, database) -> None:
    task = await running_scan_task("beating", PDF_MAILS)
    limits = scan_limits()
    messages = read_messages(long_pdf_invoice, PDF_MAILS)
    recorder = TaskRecorder(task, redis)
    worst, done = 0.0, False

    async def tick() -> None:
        nonlocal worst
        last = time.monotonic()
        while not done:
            await asyncio.sleep(0.01)
            worst = max(worst, time.monotonic() - last)
            last = time.monotonic()

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.05)  # ticking before the batch starts
    started = time.monotonic()
    findings = FolderFindings(recorder, "k", "INBOX", limits)
    await findings.add(messages)
    await findings.settle()
    took = time.monotonic() - started
    done = True
    await ticker
    assert took > 0.6, "too little parsing to tell a stalled loop from a free one"
    assert worst < 0.25, f"the event loop stalled {worst:.2f} s while {took:.2f} s of PDFs parsed"
    after = await stored(task.id)
    assert recorder.task.emails_scanned == PDF_MAILS and recorder.task.invoices_found == PDF_MAILS
    assert after.position is not None and after.position.folders["k"].read_up_to >= 1
    assert await Invoice.find(Invoice.task_id == task.id).count() == PDF_MAILS
    await ScanTask.apply_changes(task.id, {"status": TaskStatus.CANCELLED})


async def test_invoices_stored_after_the_account_was_removed_do_not_survive(
    redis, database
) -> None:
    # removeEmailAccount cancels, deletes the account, then its invoices; a worker storing a
    # chunk in between finds the account gone and takes its chunk back.
    task = await running_scan_task("beating", PDF_MAILS)
    limits = scan_limits()
    now = datetime.now(UTC)
    messages = [ReadMessage(1, now, parsed=parse_message(long_pdf_invoice(1, now), limits))]
    account = await EmailAccount.get(PydanticObjectId(task.account_id))
    assert account is not None
    await account.delete()
    findings = FolderFindings(TaskRecorder(task, redis), "k", "INBOX", limits)
    with pytest.raises(TaskNoLongerRunning):
        await findings.add(messages)
        await findings.settle()
    assert await Invoice.find(Invoice.task_id == task.id).count() == 0
    await ScanTask.apply_changes(task.id, {"status": TaskStatus.CANCELLED})
