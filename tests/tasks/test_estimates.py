"""estimatedDurationSeconds: at startScan from the account's recent successful scans per month,
once the mailbox is searched from their pace per message, and with no history from the running
scan's own pace."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from models import EmailAccount, ScanTask
from models.email_account import ScanPace
from models.enums import ScanType, TaskStatus
from tasks import estimates
from tasks.dispatch import start_scan
from tests.support.graphql import data_of, gql, token_for
from tests.support.mail import long_pdf_invoice, plain_mail
from tests.support.scans import mailbox_account, wait_until_finished

START = """mutation($id: ID!) { startScan(accountId: $id, months: 3) {
  taskId estimatedDurationSeconds task { estimatedDurationSeconds } } }"""


def done(months: int, seconds: float, scanned: int, **fields) -> ScanTask:
    return ScanTask(
        id=str(uuid.uuid4()),
        account_id=fields.pop("account_id", "a" * 24),
        user_id=fields.pop("user_id", "u"),
        scan_type=ScanType.INBOX,
        months=months,
        status=fields.pop("status", TaskStatus.SUCCESS),
        active=None,
        actual_duration_seconds=seconds,
        emails_scanned=scanned,
        **fields,
    )


def test_pace_of_recent_scans(database) -> None:
    history = estimates.pace_of([done(1, 10, 100), done(2, 10, 300), done(3, 6, 0)])
    assert history.seconds_per_month == pytest.approx((10 + 5 + 2) / 3)
    assert history.messages_per_second == pytest.approx(400 / 20)  # scans that read messages
    assert estimates.at_start(history, 3) == round(17.0, 1)
    assert estimates.when_planned(history, elapsed_seconds=1.5, remaining=200) == 11.5
    assert estimates.pace_of([]) == ScanPace()
    assert estimates.at_start(ScanPace(), 3) is None
    assert estimates.when_planned(ScanPace(), 1.0, 10) is None


def test_own_pace_needs_a_few_messages_and_a_second() -> None:
    own = estimates.from_own_rate
    assert own(elapsed_seconds=4, run_seconds=2, run_done=19, remaining=100) is None
    assert own(elapsed_seconds=4, run_seconds=0.5, run_done=50, remaining=100) is None
    assert own(elapsed_seconds=4, run_seconds=2, run_done=40, remaining=100) == 9.0


async def test_start_scan_estimates_from_the_accounts_recent_scans(
    http, dovecot, worker, database
) -> None:
    now = datetime.now(UTC)
    account = await mailbox_account(
        dovecot, [(plain_mail(i, now), now - timedelta(hours=i)) for i in range(40)]
    )
    of_account = {"account_id": str(account.id), "user_id": account.user_id}
    history = [
        done(1, 10.0, 100, created_at=now - timedelta(days=1), **of_account),
        done(2, 10.0, 300, created_at=now - timedelta(days=2), **of_account),
        done(3, 6.0, 0, created_at=now - timedelta(days=3), **of_account),
        done(1, 8.0, 100, created_at=now - timedelta(days=4), **of_account),
        done(1, 8.0, 100, created_at=now - timedelta(days=5), **of_account),
        # Older than the last five, and not successful: neither counts.
        done(1, 9999.0, 1, created_at=now - timedelta(days=6), **of_account),
        done(1, 7777.0, 1, status=TaskStatus.FAILURE, created_at=now, **of_account),
    ]
    for task in history:
        await task.insert()
    await estimates.remember_pace(account)  # as a worker does after each successful scan
    per_month = (10 + 5 + 2 + 8 + 8) / 5
    rate = (100 + 300 + 100 + 100) / (10 + 10 + 8 + 8)

    body = await gql(http, START, {"id": str(account.id)}, token=token_for(account.user_id))
    started = data_of(body)["startScan"]
    assert started["estimatedDurationSeconds"] == round(per_month * 3, 1)
    assert started["task"]["estimatedDurationSeconds"] == started["estimatedDurationSeconds"]

    final = await wait_until_finished(started["taskId"], 60)
    assert final.status is TaskStatus.SUCCESS and final.emails_total == 40
    # Time until the mailbox was searched, plus its 40 messages at the account's pace.
    assert final.estimated_duration_seconds is not None
    assert 40 / rate <= final.estimated_duration_seconds <= 40 / rate + 3
    assert final.actual_duration_seconds is not None and final.actual_duration_seconds > 0
    # The worker stores the new pace just after the end: the five newest successful scans now
    # start with this one.
    expected = estimates.pace_of([final, *history[:4]])
    async with asyncio.timeout(10):
        while True:
            stored = await EmailAccount.get(account.id)
            assert stored is not None
            if stored.recent_pace.seconds_per_month != per_month:
                break
            await asyncio.sleep(0.05)
    assert stored.recent_pace.seconds_per_month == pytest.approx(expected.seconds_per_month)
    assert stored.recent_pace.messages_per_second == pytest.approx(expected.messages_per_second)


async def test_without_history_a_scan_estimates_from_its_own_pace(
    dovecot, worker, redis, database
) -> None:
    now = datetime.now(UTC)
    account = await mailbox_account(
        dovecot, [(long_pdf_invoice(i, now), now - timedelta(hours=i)) for i in range(60)]
    )
    task = await start_scan(account, ScanType.INBOX, 1, redis)
    assert task.estimated_duration_seconds is None
    seen: list[ScanTask] = []
    final = await wait_until_finished(task.id, 60, seen=seen)
    assert final.status is TaskStatus.SUCCESS and final.emails_scanned == 60
    running = [s.estimated_duration_seconds for s in seen if s.status is TaskStatus.PROGRESS]
    first = next((e for e in running if e is not None), None)
    assert first is not None, "no estimate while the scan ran"
    assert final.actual_duration_seconds is not None
    assert final.actual_duration_seconds / 3 <= first <= final.actual_duration_seconds * 3
