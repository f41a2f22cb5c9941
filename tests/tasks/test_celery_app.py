"""The Celery app runs as the old system's did, and Celery's own commands work against it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid

from models import ScanTask
from models.enums import ScanType, TaskStatus
from tasks.celery_app import SCAN_QUEUE, app
from tasks.scan import scan_mailbox


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


async def test_a_redelivered_message_of_a_finished_task_does_nothing(worker, database) -> None:
    task = ScanTask(
        id=str(uuid.uuid4()),
        account_id="b" * 24,
        user_id="u-redeliver",
        scan_type=ScanType.INBOX,
        months=1,
        status=TaskStatus.SUCCESS,
        active=None,
        progress=100,
        emails_scanned=7,
        seq=5,
    )
    await task.insert()
    await asyncio.to_thread(scan_mailbox.apply_async, args=[task.id], task_id=task.id)
    await asyncio.to_thread(worker.wait_for_task, task.id)
    stored = await ScanTask.get(task.id)
    assert stored is not None
    assert (stored.status, stored.seq, stored.emails_scanned) == (TaskStatus.SUCCESS, 5, 7)
