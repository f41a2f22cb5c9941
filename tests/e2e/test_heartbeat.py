"""A running scan's heartbeat goes on while its worker waits on an IMAP server slow to answer a
FETCH or a LOGIN, the task names the worker and pool process running it, and a login failing
after a cancel leaves the task cancelled."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from models import ScanTask
from models.enums import ScanType, TaskStatus
from tasks.cancel import cancel_task
from tasks.dispatch import start_scan
from tasks.heartbeat import HEARTBEAT_INTERVAL_SECONDS
from tests.support.mail import plain_mail
from tests.support.proxy import StallingProxy
from tests.support.scans import (
    mailbox_account,
    proxied_mailbox,
    stored,
    wait_until,
    wait_until_finished,
)
from tests.support.services import parent_of

MESSAGES = 30
# Long enough for two heartbeats whatever their phase, well under IMAP_TIMEOUT_SECONDS (30).
STALL_SECONDS = 2 * HEARTBEAT_INTERVAL_SECONDS + 1


async def sample_for(task_id: str, seconds: float) -> list[ScanTask]:
    """The stored task, four times a second for `seconds`."""
    samples = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        samples.append(await stored(task_id))
        await asyncio.sleep(0.25)
    return samples


def assert_beating(samples: list[ScanTask]) -> None:
    beats = sorted({s.heartbeat_at for s in samples if s.heartbeat_at is not None})
    assert len(beats) >= 3, f"heartbeats while stalled: {beats}"
    gaps = [(b - a).total_seconds() for a, b in zip(beats, beats[1:], strict=False)]
    assert max(gaps) <= 10, gaps


async def test_the_heartbeat_goes_on_during_a_stalled_fetch(dovecot, worker, redis, database):
    async with proxied_mailbox(dovecot, MESSAGES) as (account, proxy):
        proxy.hold_after = b" FETCH "
        task = await start_scan(account, ScanType.INBOX, 1, redis)
        await asyncio.wait_for(proxy.stalled.wait(), 30)
        running = await wait_until(task.id, lambda t: t.emails_total is not None, 10)
        samples = await sample_for(task.id, STALL_SECONDS)
        proxy.release()
        final = await wait_until_finished(task.id, 60)

    assert {(s.status, s.emails_scanned, s.seq) for s in samples} == {
        (TaskStatus.PROGRESS, 0, running.seq)
    }, "the scan moved or wrote an event while its FETCH was held"
    assert_beating(samples)
    assert running.worker == f"test-worker@{socket.gethostname()}"
    assert running.worker_pid is not None and parent_of(running.worker_pid) == worker.process.pid
    assert (final.status, final.emails_scanned, final.invoices_found) == (
        TaskStatus.SUCCESS,
        MESSAGES,
        MESSAGES // 3,
    )


@dataclass
class StalledScan:
    task: ScanTask
    proxy: StallingProxy


@asynccontextmanager
async def scan_stalled_at_login(dovecot: Any, redis: Redis) -> AsyncIterator[StalledScan]:
    """A scan of a one-message mailbox whose IMAP server holds its answer to LOGIN; the proxy
    closes (failing that login) when the block ends, unless released before."""
    now = datetime.now(UTC)
    proxy = StallingProxy(dovecot.host, dovecot.port)
    port = await proxy.start()
    try:
        account = await mailbox_account(dovecot, [(plain_mail(1, now), now)], port=port)
        proxy.hold_after = b" LOGIN "
        task = await start_scan(account, ScanType.INBOX, 1, redis)
        await asyncio.wait_for(proxy.stalled.wait(), 30)
        yield StalledScan(task, proxy)
    finally:
        await proxy.close()


async def test_the_heartbeat_goes_on_during_a_stalled_login(dovecot, worker, redis, database):
    # Connecting and logging in run in a thread: a server slow to let a worker in must not
    # silence the heartbeat, or the reaper would take back a healthy scan.
    async with scan_stalled_at_login(dovecot, redis) as stalled:
        samples = await sample_for(stalled.task.id, STALL_SECONDS)
        stalled.proxy.release()
        final = await wait_until_finished(stalled.task.id, 60)

    assert {(s.status, s.emails_total) for s in samples} == {(TaskStatus.PROGRESS, None)}
    assert_beating(samples)
    assert (final.status, final.emails_scanned) == (TaskStatus.SUCCESS, 1)


async def test_a_login_that_fails_after_a_cancel_leaves_the_task_cancelled(
    dovecot, worker, redis, database
):
    async with scan_stalled_at_login(dovecot, redis) as stalled:
        task = stalled.task
        running = await wait_until(task.id, lambda t: t.status is TaskStatus.PROGRESS, 10)
        await cancel_task(running, redis)
    # The proxy is closed: the login fails, an ImapError for a task no longer running.
    await asyncio.to_thread(worker.wait_for_task, task.id)
    final = await stored(task.id)
    assert final.status is TaskStatus.CANCELLED and final.error is None
    assert f"[{task.id}] succeeded" in worker.log.read_text(errors="replace")
