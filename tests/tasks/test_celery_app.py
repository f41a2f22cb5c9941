"""The Celery app runs as the old system's did, and Celery's own commands work against it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from celery.schedules import crontab

from core.processes import celery_beat_args
from core.settings import settings
from models import Invoice, ScanTask
from models.email_account import utcnow
from models.enums import ScanType, TaskStatus
from tasks.celery_app import MAINTENANCE_QUEUE, SCAN_QUEUE, app, beat_schedule
from tasks.dispatch import start_scan
from tasks.scan import queue_scan, scan_mailbox
from tests.conftest import PORTS
from tests.support.mail import plain_mail, text_invoice
from tests.support.scans import mailbox_account, wait_until_finished


def test_configuration_matches_the_old_system() -> None:
    conf = app.conf
    assert conf.task_default_queue == SCAN_QUEUE == "email_scanning"
    assert conf.task_time_limit == 30 * 60 and conf.task_soft_time_limit == 25 * 60
    assert conf.worker_max_tasks_per_child == 50
    assert conf.task_acks_late is True and conf.worker_prefetch_multiplier == 1
    assert conf.worker_send_task_events is True
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    assert scan_mailbox.name == "scans.scan_mailbox"
    assert app.amqp.router.route({}, scan_mailbox.name)["queue"].name == SCAN_QUEUE


def celery(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "tasks.celery_app", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_inspect_commands_see_the_worker(worker) -> None:
    # Naming the node lets inspect return on its reply instead of waiting out the timeout.
    node = ["--destination", f"test-worker@{socket.gethostname()}", "--timeout", "10"]
    assert "scans.scan_mailbox" in celery("inspect", "registered", *node)
    assert "test-worker@" in celery("inspect", "active", *node)
    stats = celery("inspect", "stats", "--json", *node)
    assert '"max-concurrency": 2' in stats


def finished_task(user_id: str, **fields: Any) -> ScanTask:
    """A SUCCESS task in the store, as a scan leaves it."""
    return ScanTask(
        id=str(uuid.uuid4()),
        account_id="d" * 24,
        user_id=user_id,
        scan_type=ScanType.INBOX,
        months=1,
        status=TaskStatus.SUCCESS,
        active=None,
        progress=100,
        **fields,
    )


async def test_a_redelivered_message_of_a_finished_task_does_nothing(worker, database) -> None:
    task = finished_task("u-redeliver", emails_scanned=7, seq=5)
    await task.insert()
    await asyncio.to_thread(scan_mailbox.apply_async, args=[task.id], task_id=task.id)
    await asyncio.to_thread(worker.wait_for_task, task.id)
    stored = await ScanTask.get(task.id)
    assert stored is not None
    assert (stored.status, stored.seq, stored.emails_scanned) == (TaskStatus.SUCCESS, 5, 7)


def test_beat_runs_the_reaper_and_the_housekeeping(monkeypatch) -> None:
    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    reaper = schedule["reap-stale-tasks"]
    assert (reaper["task"], reaper["schedule"]) == ("scans.reap_stale_tasks", 30.0)
    assert reaper["options"]["expires"] == 30
    removal = schedule["remove-finished-tasks"]
    assert removal["task"] == "scans.remove_finished_tasks"
    assert isinstance(removal["schedule"], crontab)
    assert "rescan-accounts" not in schedule  # scheduled rescans are off by default
    for entry in schedule.values():
        assert entry["task"] in app.tasks
        assert app.amqp.router.route({}, entry["task"])["queue"].name == MAINTENANCE_QUEUE
    # `invoicescan beat` is also the worker of that queue, and its only one.
    beat = celery_beat_args()
    assert "--beat" in beat and beat[beat.index("-Q") + 1] == MAINTENANCE_QUEUE
    monkeypatch.setattr(settings, "SCHEDULED_SCAN_MINUTES", 45)
    rescan = beat_schedule()["rescan-accounts"]
    assert (rescan["task"], rescan["schedule"]) == ("scans.rescan_accounts", 2700.0)
    assert rescan["task"] in app.tasks
    assert app.amqp.router.route({}, rescan["task"])["queue"].name == MAINTENANCE_QUEUE


async def test_a_redelivered_message_of_a_running_task_does_nothing(worker, database) -> None:
    beat = utcnow()
    task = ScanTask(
        id=str(uuid.uuid4()),
        account_id="c" * 24,
        user_id="u-redeliver",
        scan_type=ScanType.INBOX,
        months=1,
        status=TaskStatus.PROGRESS,
        started_at=beat,
        heartbeat_at=beat,
        worker="busy@host",
        worker_pid=4242,
        emails_scanned=3,
        seq=9,
    )
    await task.insert()
    await asyncio.to_thread(scan_mailbox.apply_async, args=[task.id], task_id=task.id)
    await asyncio.to_thread(worker.wait_for_task, task.id)
    stored = await ScanTask.get(task.id)
    assert stored is not None
    assert (stored.status, stored.seq, stored.heartbeat_at, stored.worker_pid) == (
        TaskStatus.PROGRESS,
        9,
        beat,
        4242,
    )
    await ScanTask.apply_changes(task.id, {"status": TaskStatus.CANCELLED})


async def test_the_same_message_twice_scans_once(dovecot, worker, redis, database) -> None:
    now = datetime.now(UTC)
    mails = [
        (text_invoice(i, now) if i % 4 == 0 else plain_mail(i, now), now - timedelta(hours=i))
        for i in range(80)
    ]
    account = await mailbox_account(dovecot, mails)
    task = await start_scan(account, ScanType.INBOX, 1, redis)
    await asyncio.to_thread(scan_mailbox.apply_async, args=[task.id], task_id=task.id)
    final = await wait_until_finished(task.id, 60)
    deadline = asyncio.get_running_loop().time() + 30
    while worker.log.read_text(errors="replace").count(f"[{task.id}] succeeded") < 2:
        assert asyncio.get_running_loop().time() < deadline, "the second message never ran"
        await asyncio.sleep(0.1)
    after = await ScanTask.get(task.id)
    assert after is not None and after.seq == final.seq  # the second delivery wrote nothing
    assert (final.status, final.emails_total, final.emails_scanned) == (TaskStatus.SUCCESS, 80, 80)
    assert final.invoices_found == 20 and final.attempt == 1
    assert await Invoice.find(Invoice.account_id == str(account.id)).count() == 20


# What a Redis restarted empty has lost. Scan messages go through the default exchange and
# arrive without it, but a message sent to the exchange by name (`celery call`, Flower) and
# inspect's replies need it. A pooled kombu connection would still count the queue declared (in
# its declared_entities and its transport's BrokerState) and never bind it again: this test
# fails with broker_pool_limit above 0.
SCAN_QUEUE_BINDING = f"_kombu.binding.{SCAN_QUEUE}"


async def test_a_scan_message_finds_its_queue_after_redis_lost_the_binding(
    worker, redis, database
) -> None:
    before, after = finished_task("u-binding"), finished_task("u-binding")
    await ScanTask.insert_many([before, after])
    await asyncio.to_thread(scan_mailbox.apply_async, args=[before.id], task_id=before.id)
    await asyncio.to_thread(worker.wait_for_task, before.id)
    assert await redis.delete(SCAN_QUEUE_BINDING) == 1
    await asyncio.to_thread(scan_mailbox.apply_async, args=[after.id], task_id=after.id)
    assert await redis.exists(SCAN_QUEUE_BINDING)
    await asyncio.to_thread(worker.wait_for_task, after.id)


async def test_scan_messages_share_one_connection_and_arrive_after_a_redis_restart(
    worker, services, redis, database
) -> None:
    tasks = [finished_task("u-publisher") for _ in range(21)]
    await ScanTask.insert_many(tasks)
    await queue_scan(tasks[0].id)  # the kept connection opens
    opened = (await redis.info("stats"))["total_connections_received"]
    for task in tasks[1:20]:
        await queue_scan(task.id)
    # 19 messages, no new connection (but the odd one of the test's own client and the worker)
    assert (await redis.info("stats"))["total_connections_received"] - opened < 5
    for task in tasks[:20]:
        await asyncio.to_thread(worker.wait_for_task, task.id)

    await asyncio.to_thread(services.restart_redis, PORTS.redis)
    await queue_scan(tasks[20].id)  # on a connection Redis dropped: it reconnects and delivers
    await asyncio.to_thread(worker.wait_for_task, tasks[20].id, 60)
