"""Part (c) of bench/large_mailbox.py: kill -9 of one worker process at 30 % of the large scan.

"One worker" is one of the four worker processes that scan: a pool process of the Celery worker
(the one the task names, if it names one of them, else the busiest), killed with SIGKILL as the
kernel's OOM killer or a crash would. The Celery worker starts a new pool process; beat's reaper
takes back the work whose heartbeat stopped, as tests/e2e/test_worker_killed.py shows for one
small scan. The reaper's settings are shortened for this run (its beat only), so the recovery
costs seconds of the benchmark, not minutes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx

from bench.large_scans import ScanClock, cpu_text, wait_status
from bench.procstat import cpu_seconds, descendants
from bench.scans import add_accounts, stop_workers
from bench.stack import Stack
from tests.support.mailbox_mix import LargeMailbox
from tests.support.services import parent_of

CONCURRENCY = 4
KILL_AT = 0.3
# The least the settings allow (core/settings.py); heartbeats come every 5 s.
REAPER_ENVIRONMENT = {"TASK_HEARTBEAT_TIMEOUT_SECONDS": "20", "REAPER_INTERVAL_SECONDS": "5"}


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Children started inside the block get these settings; the bench's own stay."""
    old = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def pool_processes(worker_pid: int) -> list[int]:
    """The Celery worker's pool processes: its direct children."""
    return [
        pid for pid in descendants(worker_pid) if pid != worker_pid and parent(pid) == worker_pid
    ]


def parent(pid: int) -> int | None:
    try:
        return parent_of(pid)
    except OSError:  # it ended meanwhile
        return None


def victim(task: Any, worker_pid: int) -> tuple[int, str]:
    """The pool process to kill, and why that one: one reading a part of the scan (a split
    scan's planning process may have moved on), else the one the task names, else the
    busiest."""
    pool = pool_processes(worker_pid)
    parts = task.position.parts if task.position else {}
    for key, part in sorted(parts.items()):
        if part.state.value == "running" and part.worker_pid in pool:
            return part.worker_pid, f"the process reading part {key}"
    if task.worker_pid in pool:
        return task.worker_pid, "the process the task names"
    return max(pool, key=cpu_seconds), "the busiest pool process"


def attempts_text(task: Any) -> str:
    """How often each part (or the task) ran."""
    parts = task.position.parts if task.position else {}
    if not parts:
        return f"attempt {task.attempt}"
    again = sorted(
        (key for key, part in parts.items() if part.attempt > 1), key=lambda k: int(k[1:])
    )
    ran_again = ", ".join(f"{key} ({parts[key].attempt} runs)" for key in again) or "none"
    return f"{len(parts)} parts, read again after the kill: {ran_again}"


async def killed_scan(stack: Stack, big: LargeMailbox, timeout: float) -> tuple[str, bool]:
    """Part (c): the markdown section and whether its target was met."""
    with environment(REAPER_ENVIRONMENT):
        beat = stack.services.start_beat()
    worker = stack.services.start_worker("large-killed", concurrency=CONCURRENCY)
    try:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as http:
            [account] = await add_accounts(http, stack, "large-killed", big.user, "pw", 1)
            clock = ScanClock(stack, [worker.process.pid])
            task_id = await clock.start(http, "large-killed", account)
            at = big.messages * KILL_AT
            hit = await wait_status(task_id, lambda task: task.emails_scanned >= at, timeout)
            pid, why = victim(hit, worker.process.pid)
            os.kill(pid, signal.SIGKILL)
            killed_at = time.perf_counter() - clock.began
            run = await clock.finish(account, big, timeout)
    finally:
        stack.services.stop_child(beat)
        await stop_workers(stack)
    met = (
        run.task.status.value == "SUCCESS"
        and run.invoices.exact
        and run.task.emails_scanned == big.messages
    )
    lines = [
        f"## The {big.messages:,}-message mailbox with a worker process killed at {KILL_AT:.0%}",
        "",
        f"A new account scans the same mailbox on a worker with concurrency {CONCURRENCY}, with "
        "beat running (heartbeat timeout "
        f"{REAPER_ENVIRONMENT['TASK_HEARTBEAT_TIMEOUT_SECONDS']} s, reaper every "
        f"{REAPER_ENVIRONMENT['REAPER_INTERVAL_SECONDS']} s). At {hit.emails_scanned:,} messages "
        f"read ({killed_at:.1f} s in), {why} (pid {pid}) was killed with SIGKILL.",
        "",
        f"- The scan: {run.text()}; {attempts_text(run.task)}, "
        f"{run.task.emails_scanned:,} of {run.task.emails_total or 0:,} messages counted, "
        f"{run.task.error_count} errors.",
        f"- CPU over the scan: {cpu_text(run.cpu, run.seconds)}.",
        "",
        "Target: SUCCESS with exactly the expected invoices, none twice, every message counted "
        f"once: **{'met' if met else 'NOT met'}**.",
    ]
    return "\n".join(lines), met
