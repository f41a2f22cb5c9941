"""Part (b) of bench/large_mailbox.py: the large scan on four worker processes while another
user's small scan runs and paced clients start scans.

The clients start each scan on a new account of a mailbox nobody scans, and cancel it at once
(untimed): the paced load tests startScan, and a cancelled scan's message costs a worker next to
nothing. The queue is never purged here, since the large scan's own messages are in it.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import aiohttp
import httpx

from bench.figures import LATENCY_HEADER, latency_row, percentile
from bench.large_scans import ScanClock, ScanRun, cpu_text, wait_finished, wait_status
from bench.scans import START, add_accounts, start_scan, stop_workers
from bench.stack import Stack
from tests.support.graphql import data_of, token_for
from tests.support.mailbox_mix import LargeMailbox

CONCURRENCY = 4
PROBE_CLIENTS = 10
PROBE_ROUNDS = 20
PROBE_INTERVAL = 1.0
# The large scan is in full swing (every process busy) once this share is read.
SWING_SHARE = 0.05
SMALL_START_TARGET_SECONDS = 5.0
START_P99_TARGET_MS = 100.0


async def cancel(task_id: str) -> None:
    from models import ScanTask
    from models.enums import ACTIVE_STATUSES, TaskStatus

    await ScanTask.apply_changes(task_id, {"status": TaskStatus.CANCELLED}, only_if=ACTIVE_STATUSES)


async def probe_loop(
    session: aiohttp.ClientSession, url: str, user: str, accounts: list[str], samples: list[float]
) -> None:
    """One client: a startScan every PROBE_INTERVAL (waiting for each answer), each cancelled."""
    headers = {"Authorization": f"Bearer {token_for(user)}"}
    await asyncio.sleep(random.uniform(0, PROBE_INTERVAL))
    for account in accounts:
        tick = time.perf_counter()
        payload = {"query": START, "variables": {"id": account}}
        async with session.post(url, json=payload, headers=headers) as response:
            body = await response.json()
        samples.append((time.perf_counter() - tick) * 1000)
        await cancel(data_of(body)["startScan"]["taskId"])
        await asyncio.sleep(max(0.0, PROBE_INTERVAL - (time.perf_counter() - tick)))


async def paced_starts(url: str, probes: dict[str, list[str]]) -> list[float]:
    samples: list[float] = []
    connector = aiohttp.TCPConnector(limit=PROBE_CLIENTS)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(
            *(probe_loop(session, url, u, ids, samples) for u, ids in probes.items())
        )
    return samples


async def small_scan(http: httpx.AsyncClient, user: str, account: str) -> tuple[float, float, Any]:
    """Seconds until the scan is PROGRESS (or already past it), until it ends; its last state."""
    began = time.perf_counter()
    task_id = await start_scan(http, user, account)
    await wait_status(task_id, lambda task: task.status.value != "PENDING", 600, poll=0.05)
    running = time.perf_counter() - began
    final = await wait_finished(task_id, 600)
    return running, time.perf_counter() - began, final


async def scan_with_others(
    stack: Stack, big: LargeMailbox, small: LargeMailbox, described: str, timeout: float
) -> tuple[str, bool]:
    """Part (b): the markdown section and whether its targets were met."""
    worker = stack.services.start_worker("large-together", concurrency=CONCURRENCY)
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as http:
        [account] = await add_accounts(http, stack, "large-together", big.user, "pw", 1)
        [small_account] = await add_accounts(http, stack, "small-user", small.user, "pw", 1)
        probes = {
            f"large-probe{n}": await add_accounts(
                http, stack, f"large-probe{n}", "probe@example.com", "pw", PROBE_ROUNDS
            )
            for n in range(PROBE_CLIENTS)
        }
        clock = ScanClock(stack, [worker.process.pid])
        task_id = await clock.start(http, "large-together", account)
        swing = big.messages * SWING_SHARE
        await wait_status(task_id, lambda task: task.emails_scanned >= swing, timeout)
        (to_running, to_end, small_final), samples = await asyncio.gather(
            small_scan(http, "small-user", small_account),
            paced_starts(f"{stack.api_url}/graphql", probes),
        )
        still_running = not (await wait_status(task_id, lambda task: True, 10)).status.is_terminal
        run = await clock.finish(account, big, timeout)
    await stop_workers(stack)
    return section(run, to_running, to_end, small_final, samples, still_running, described)


def section(
    run: ScanRun,
    to_running: float,
    to_end: float,
    small: Any,
    samples: list[float],
    still_running: bool,
    described: str,
) -> tuple[str, bool]:
    p99 = percentile(samples, 99)
    met = (
        run.task.status.value == "SUCCESS"
        and run.invoices.exact
        and to_running < SMALL_START_TARGET_SECONDS
        and small.status.value == "SUCCESS"
        and p99 < START_P99_TARGET_MS
        and still_running
    )
    lines = [
        f"## A {run.task.emails_total or 0:,}-message mailbox while others use the service",
        "",
        f"{described} A new account scans it on a worker with concurrency {CONCURRENCY}. Once "
        f"{SWING_SHARE:.0%} of it is read, another user starts a scan of a 50-message mailbox, "
        f"and {PROBE_CLIENTS} clients each start a scan every {PROBE_INTERVAL:.0f} s (each on a "
        "new account, waiting for each answer, the scan cancelled at once); the large scan was "
        f"{'still' if still_running else '**no longer**'} running when they ended.",
        "",
        f"- The large scan: {run.text()}.",
        f"- CPU over the large scan: {cpu_text(run.cpu, run.seconds)}.",
        f"- The other user's scan: PROGRESS after {to_running:.2f} s, {small.status.value} after "
        f"{to_end:.1f} s ({small.emails_scanned} messages, {small.invoices_found} invoices).",
        "",
        LATENCY_HEADER,
        latency_row("startScan while the large scan runs", samples),
        "",
        f"Targets: SUCCESS with exactly the expected invoices, none twice; the other scan in "
        f"PROGRESS within {SMALL_START_TARGET_SECONDS:.0f} s and finished; startScan p99 under "
        f"{START_P99_TARGET_MS:.0f} ms: **{'met' if met else 'NOT met'}** (p99 {p99:.1f} ms).",
    ]
    return "\n".join(lines), met
