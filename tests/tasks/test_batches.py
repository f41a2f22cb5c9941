"""Found invoices are stored with the task's due writes, across batches, and whenever the scan
settles a folder; a write falls due with each percent of progress or after a while."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core.settings import settings
from models import Invoice, ScanTask
from models.enums import TaskStatus
from tasks import batches, recorder
from tasks.batches import FIND_CHUNK, FolderFindings
from tasks.mailbox import scan_limits
from tasks.recorder import TaskRecorder
from tests.support.mail import text_invoice
from tests.support.scans import read_messages, running_scan_task, stored

MESSAGES = 5 * FIND_CHUNK


@pytest.fixture
def inserts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many invoices each insert of found invoices held."""
    sizes: list[int] = []
    store_new = batches.store_new

    async def counting(invoices: list[Invoice]) -> Any:
        sizes.append(len(invoices))
        return await store_new(invoices)

    monkeypatch.setattr(batches, "store_new", counting)
    return sizes


async def test_batches_found_between_writes_are_stored_in_one_insert_when_settled(
    redis, database, inserts: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recorder, "MAX_INTERVAL_SECONDS", 60.0)
    # 10,000 messages to read: the 50 here move progress by less than a percent.
    task = await running_scan_task("batching", 10_000)
    messages = read_messages(text_invoice, MESSAGES)
    scan = TaskRecorder(task, redis)
    await scan.step("Processing emails")  # a write just happened: the next is not due
    findings = FolderFindings(scan, "k", "INBOX", scan_limits())
    await findings.add(messages[: 2 * FIND_CHUNK])
    await findings.add(messages[2 * FIND_CHUNK :])  # the folder's next batch

    assert inserts == []
    assert scan.task.emails_scanned == 0  # nothing counted before it is stored
    await findings.settle()
    assert inserts == [MESSAGES]
    assert scan.task.emails_scanned == MESSAGES and scan.task.invoices_found == MESSAGES
    assert await Invoice.find(Invoice.task_id == task.id).count() == MESSAGES
    assert (await stored(task.id)).emails_scanned == 0  # counted, written at the next due write
    await ScanTask.apply_changes(task.id, {"status": TaskStatus.CANCELLED})


async def test_each_due_write_stores_what_was_found_before_it(
    redis, database, inserts: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recorder, "MIN_INTERVAL_SECONDS", 0.0)
    task = await running_scan_task("batching", MESSAGES)  # each chunk: 20 percent
    scan = TaskRecorder(task, redis)
    await scan.step("Processing emails")
    await FolderFindings(scan, "k", "INBOX", scan_limits()).add(
        read_messages(text_invoice, MESSAGES)
    )

    assert inserts == [FIND_CHUNK] * 5
    written = await stored(task.id)
    assert written.emails_scanned == MESSAGES and written.invoices_found == MESSAGES
    assert written.position is not None and written.position.folders["k"].read_up_to == MESSAGES
    await ScanTask.apply_changes(task.id, {"status": TaskStatus.CANCELLED})


async def test_a_write_falls_due_with_a_percent_of_progress_or_after_a_while(
    redis, database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recorder, "MIN_INTERVAL_SECONDS", 0.1)
    monkeypatch.setattr(recorder, "MAX_INTERVAL_SECONDS", 60.0)
    task = await running_scan_task("throttled", 200)
    scan = TaskRecorder(task, redis)
    await scan.step("Processing emails")
    assert not scan.write_due(uncounted=2)  # a percent, within MIN_INTERVAL_SECONDS
    await asyncio.sleep(0.15)
    assert scan.write_due(uncounted=2)  # found, not counted yet: a percent's worth
    assert not scan.write_due(uncounted=1)
    await scan.step("Processing emails")
    scan.message_done("k", 1, invoices=0, failed=False, bytes_fetched=10)
    assert not scan.write_due()  # half a percent
    scan.message_done("k", 2, invoices=0, failed=False, bytes_fetched=10)
    assert scan.task.progress == 1
    assert not scan.write_due()  # a percent, but within MIN_INTERVAL_SECONDS of the last write
    await asyncio.sleep(0.15)
    assert scan.write_due()
    await scan.flush()
    assert (await stored(task.id)).emails_scanned == 2

    scan.message_done("k", 3, invoices=0, failed=False, bytes_fetched=10)
    await asyncio.sleep(0.15)
    assert not scan.write_due()  # no percent since the last write
    monkeypatch.setattr(recorder, "MAX_INTERVAL_SECONDS", 0.1)
    assert scan.write_due()  # but a while has passed
    await ScanTask.apply_changes(task.id, {"status": TaskStatus.CANCELLED})


def test_ocr_limits_come_from_the_settings(monkeypatch) -> None:
    monkeypatch.setattr(settings, "OCR_MAX_PAGES", 3)
    monkeypatch.setattr(settings, "OCR_MAX_PIXELS", 2_000_000)
    monkeypatch.setattr(settings, "OCR_MAX_PAGE_SECONDS", 7.5)
    monkeypatch.setattr(settings, "OCR_READER_MEMORY_MB", 512)
    limits = scan_limits()
    assert (
        limits.max_ocr_pages,
        limits.max_ocr_pixels,
        limits.max_ocr_page_seconds,
        limits.max_ocr_reader_bytes,
    ) == (3, 2_000_000, 7.5, 512 * 1024 * 1024)
