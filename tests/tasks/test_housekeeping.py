"""Beat's housekeeping: finished tasks past retention are removed (their invoices stay), and the
optional scheduled rescan starts every account's scan through the API's start path."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from core.settings import settings
from models import Invoice, ScanTask
from models.email_account import utcnow
from models.enums import InvoiceSource, ScanType, TaskStatus
from tasks.housekeeping import remove_finished_tasks, rescan_accounts
from tests.support.mail import plain_mail, text_invoice
from tests.support.scans import mailbox_account, wait_until_finished


async def task_that(status: TaskStatus, finished_days_ago: float | None, **fields) -> ScanTask:
    now = utcnow()
    finished = now - timedelta(days=finished_days_ago) if finished_days_ago is not None else None
    task = ScanTask(
        id=str(uuid.uuid4()),
        account_id=fields.pop("account_id", uuid.uuid4().hex[:24]),
        user_id="keeper",
        scan_type=ScanType.INBOX,
        months=1,
        status=status,
        active=True if status.is_active else None,
        created_at=now - timedelta(days=400),
        finished_at=finished,
        **fields,
    )
    await task.insert()
    return task


async def test_finished_tasks_past_retention_are_removed(database) -> None:
    days = settings.TASK_RETENTION_DAYS
    old = [
        await task_that(TaskStatus.SUCCESS, days + 1),
        await task_that(TaskStatus.FAILURE, days + 30),
        await task_that(TaskStatus.CANCELLED, days + 0.01),
    ]
    kept = [
        await task_that(TaskStatus.SUCCESS, days - 1),
        await task_that(TaskStatus.FAILURE, 0),
        await task_that(TaskStatus.PENDING, None),
        await task_that(TaskStatus.PROGRESS, None),
    ]
    invoice = Invoice.new(
        account_id=old[0].account_id,
        user_id="keeper",
        task_id=old[0].id,
        message_id="<kept@example.org>",
        part_key="body",
        folder="INBOX",
        subject="Invoice",
        sender="billing@example.org",
        received_at=datetime.now(UTC),
        source=InvoiceSource.TEXT,
    )
    await invoice.insert()

    assert await remove_finished_tasks() >= len(old)
    for task in old:
        assert await ScanTask.get(task.id) is None
    for task in kept:
        assert await ScanTask.get(task.id) is not None
    assert await Invoice.get(invoice.id) is not None
    for task in kept[2:]:
        await ScanTask.apply_changes(task.id, {"status": TaskStatus.CANCELLED})


async def test_scheduled_rescans_take_turns_and_skip_busy_accounts(
    dovecot, worker, redis, database
) -> None:
    now = datetime.now(UTC)
    mails = [(text_invoice(1, now), now - timedelta(days=1)), (plain_mail(2, now), now)]
    inbox_only = await mailbox_account(dovecot, mails)
    with_groups = await mailbox_account(dovecot, mails, group_addresses=["ap@example.com"])
    busy = await mailbox_account(dovecot, mails)
    running = await task_that(TaskStatus.PROGRESS, None, account_id=str(busy.id))
    ours = {"_id": {"$in": [inbox_only.id, with_groups.id, busy.id]}}

    assert await rescan_accounts(redis, ours) == 2
    first = {account.id: await latest(str(account.id)) for account in (inbox_only, with_groups)}
    for task in first.values():
        final = await wait_until_finished(task.id, 60)
        assert (final.status, final.scan_type) == (TaskStatus.SUCCESS, ScanType.INBOX)
        assert final.months == settings.SCHEDULED_SCAN_MONTHS
        assert final.emails_total == 2
    assert await latest(str(busy.id)) == running

    assert await rescan_accounts(redis, ours) == 2
    second = {account.id: await latest(str(account.id)) for account in (inbox_only, with_groups)}
    again = await wait_until_finished(second[inbox_only.id].id, 60)
    # Incremental: what the first scan read is not read again.
    assert (again.scan_type, again.status, again.emails_total) == (
        ScanType.INBOX,
        TaskStatus.SUCCESS,
        0,
    )
    groups = await wait_until_finished(second[with_groups.id].id, 60)
    assert (groups.scan_type, groups.status) == (ScanType.GROUPS, TaskStatus.SUCCESS)
    await ScanTask.apply_changes(running.id, {"status": TaskStatus.CANCELLED})


async def latest(account_id: str) -> ScanTask:
    task = await ScanTask.find({"account_id": account_id}).sort("-created_at").first_or_none()
    assert task is not None
    return task
