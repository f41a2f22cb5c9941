"""A batch's invoices are stored once per due write of its task, and at the batch's end."""

from __future__ import annotations

from typing import Any

import pytest

from models import Invoice, ScanTask
from models.enums import TaskStatus
from tasks import batches
from tasks.batches import FIND_CHUNK, record_batch
from tasks.recorder import TaskRecorder
from tasks.scan import scan_limits
from tests.support.mail import text_invoice
from tests.support.scans import read_messages, running_scan_task, stored

MESSAGES = 5 * FIND_CHUNK


async def test_a_batch_is_stored_in_one_insert_when_no_write_falls_due(
    redis, database, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = await running_scan_task("batching", MESSAGES)
    messages = read_messages(text_invoice, MESSAGES)
    inserts: list[int] = []
    store_new = batches.store_new

    async def counting(invoices: list[Invoice]) -> Any:
        inserts.append(len(invoices))
        return await store_new(invoices)

    monkeypatch.setattr(batches, "store_new", counting)
    recorder = TaskRecorder(task, redis)
    await recorder.step("Processing emails")  # a write just happened: the next is not due
    await record_batch(recorder, "k", "INBOX", messages, scan_limits())

    assert inserts == [MESSAGES]
    assert recorder.task.emails_scanned == MESSAGES and recorder.task.invoices_found == MESSAGES
    assert await Invoice.find(Invoice.task_id == task.id).count() == MESSAGES
    assert (await stored(task.id)).emails_scanned == 0  # counted, written at the next due write
    await ScanTask.apply_changes(task.id, {"status": TaskStatus.CANCELLED})
