"""The API under scan load, each condition measured idle and loaded side by side in one run.

(a) `startScan` latency with 50 concurrent paced clients (bench/concurrent_clients.py's pacing:
each starts a scan every 2 s, waiting for each answer) while 8 long scans run on a worker with
concurrency 8. Target: p99 under 100 ms.

(b) 20 users start a scan at once against a worker with concurrency 4 (four scan processes; the
rest wait in the queue), and each polls `scanStatus` and `task` every second meanwhile, as a
frontend without websockets would. Target: p50 and p99 of those queries within 2x of the same
polling with no scan running.

Every scanning account reads the same Dovecot mailbox (bench/scans.py). The idle phases run with
no worker at all, so nothing but the API and the store is busy.
"""

from __future__ import annotations

import asyncio
import os
import time

import aiohttp
import httpx

from bench.concurrent_clients import client_loop
from bench.figures import LATENCY_HEADER, latency_row, percentile
from bench.procstat import child_pid, cpu_summary, descendants, with_cpu
from bench.scans import (
    START,
    add_accounts,
    count_running,
    drop_queued,
    fill_mailbox,
    scanning_accounts,
    start_scan,
    stop_workers,
    task_ids_of,
    wait_running,
)
from bench.stack import Stack
from tests.support.environment import uses_real_mongodb

MAILBOX = "load@example.com"
MESSAGES = 4000
CLIENTS = 50
START_INTERVAL = 2.0
START_ROUNDS = 5
LONG_SCANS = 8
USERS = 20
USER_CONCURRENCY = 4
POLL_INTERVAL = 1.0
POLL_ROUNDS = 20
START_TARGET_P99_MS = 100.0
LOADED_RATIO = 2.0
SCAN_STATUS = "query($id: ID!) { scanStatus(accountId: $id) { id status progress emailsScanned } }"
TASK = "query($id: ID!) { task(taskId: $id) { id status progress emailsScanned invoicesFound } }"


async def paced_starts(url: str, probes: dict[str, list[str]]) -> list[float]:
    """Each client starts a scan of its next account every START_INTERVAL: latencies in ms."""
    samples: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS)) as session:
        await asyncio.gather(
            *(
                client_loop(session, url, user, START, ids, samples, START_INTERVAL)
                for user, ids in probes.items()
            )
        )
    return samples


def processes(stack: Stack, worker_pid: int | None = None) -> dict[str, list[int]]:
    """The process groups whose CPU a phase reports."""
    groups = {
        "API": [child_pid(stack.services, "api")],
        "store": [child_pid(stack.services, "localdb")] if not uses_real_mongodb() else [],
        "clients": [os.getpid()],
    }
    if worker_pid is not None:
        groups["workers"] = descendants(worker_pid)
    return groups


async def starts_while_scanning(stack: Stack) -> tuple[str, bool]:
    """Part (a)."""
    url = f"{stack.api_url}/graphql"
    long_users = [f"long-load{n}" for n in range(LONG_SCANS)]
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as http:
        probes = {
            f"load-client{n}": await add_accounts(
                http, stack, f"load-client{n}", "probe@example.com", "pw", 2 * START_ROUNDS
            )
            for n in range(CLIENTS)
        }
        long_accounts = await scanning_accounts(http, stack, long_users, MAILBOX)
        idle, idle_cpu = await with_cpu(
            processes(stack),
            paced_starts(url, {u: ids[:START_ROUNDS] for u, ids in probes.items()}),
        )
        await drop_queued([t for user in probes for t in await task_ids_of(user)])

        worker = stack.services.start_worker("load-a", concurrency=LONG_SCANS)
        long_ids = [await start_scan(http, u, a) for u, a in long_accounts.items()]
        await wait_running(long_ids, LONG_SCANS)
        loaded, loaded_cpu = await with_cpu(
            processes(stack, worker.process.pid),
            paced_starts(url, {u: ids[START_ROUNDS:] for u, ids in probes.items()}),
        )
        running = await count_running(long_ids)
    await drop_queued(long_ids + [t for user in probes for t in await task_ids_of(user)])
    await stop_workers(stack)

    p99 = percentile(loaded, 99)
    met = p99 < START_TARGET_P99_MS and running == LONG_SCANS
    section = [
        f"## startScan with {CLIENTS} clients while {LONG_SCANS} scans run",
        "",
        f"{CLIENTS} clients, each on its own connection and waiting for each answer, start a scan "
        f"every {START_INTERVAL:.0f} s ({CLIENTS / START_INTERVAL:.0f} requests/s in all), first "
        f"with no worker running, then while {LONG_SCANS} scans of {MESSAGES} messages run on a "
        f"worker with concurrency {LONG_SCANS}; still running when the calls ended: {running} of "
        f"{LONG_SCANS}. Clients: aiohttp in the bench process, on the same 2 CPUs.",
        "",
        LATENCY_HEADER,
        latency_row("idle", idle),
        latency_row(f"{LONG_SCANS} scans running", loaded),
        "",
        f"CPU (1 core = 100%), idle: {cpu_summary(idle_cpu)}; "
        f"{LONG_SCANS} scans running: {cpu_summary(loaded_cpu)}.",
        "",
        f"Target: p99 under {START_TARGET_P99_MS:.0f} ms while scans run: "
        f"**{'met' if met else 'NOT met'}** (p99 {p99:.1f} ms, "
        f"{p99 / percentile(idle, 99):.2f}x idle p99).",
    ]
    return "\n".join(section), met


async def poll(
    url: str, accounts: dict[str, str], tasks: dict[str, str]
) -> tuple[list[float], list[float]]:
    """Every user polls scanStatus and task each POLL_INTERVAL: both latency lists, in ms."""
    status: list[float] = []
    task: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=2 * USERS)) as session:
        loops = []
        for user, account in accounts.items():
            ids, task_ids = [account] * POLL_ROUNDS, [tasks[user]] * POLL_ROUNDS
            loops.append(client_loop(session, url, user, SCAN_STATUS, ids, status, POLL_INTERVAL))
            loops.append(client_loop(session, url, user, TASK, task_ids, task, POLL_INTERVAL))
        await asyncio.gather(*loops)
    return status, task


async def users_scanning(stack: Stack) -> tuple[str, bool]:
    """Part (b)."""
    url = f"{stack.api_url}/graphql"
    users = [f"team{n}" for n in range(USERS)]
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as http:
        accounts = await scanning_accounts(http, stack, users, MAILBOX)
        # Every account gets a task first, so both queries find one while idle too.
        first = {user: await start_scan(http, user, accounts[user]) for user in users}
        await drop_queued(list(first.values()))
        (idle_status, idle_task), idle_cpu = await with_cpu(
            processes(stack), poll(url, accounts, first)
        )

        worker = stack.services.start_worker("load-b", concurrency=USER_CONCURRENCY)
        began = time.perf_counter()
        scans = await asyncio.gather(*(start_scan(http, u, accounts[u]) for u in users))
        burst_seconds = time.perf_counter() - began
        tasks = dict(zip(users, scans, strict=True))
        await wait_running(scans, USER_CONCURRENCY)
        (loaded_status, loaded_task), loaded_cpu = await with_cpu(
            processes(stack, worker.process.pid), poll(url, accounts, tasks)
        )
        running = await count_running(scans)
    await drop_queued(scans)
    await stop_workers(stack)
    cpu = (
        f"CPU (1 core = 100%), idle: {cpu_summary(idle_cpu)}; scanning: {cpu_summary(loaded_cpu)}."
    )
    return users_section(
        idle_status, idle_task, loaded_status, loaded_task, running, burst_seconds, cpu
    )


def users_section(
    idle_status: list[float],
    idle_task: list[float],
    loaded_status: list[float],
    loaded_task: list[float],
    running: int,
    burst_seconds: float,
    cpu: str,
) -> tuple[str, bool]:
    idle, loaded = idle_status + idle_task, loaded_status + loaded_task
    p50_ratio = percentile(loaded, 50) / percentile(idle, 50)
    p99_ratio = percentile(loaded, 99) / percentile(idle, 99)
    met = p50_ratio <= LOADED_RATIO and p99_ratio <= LOADED_RATIO
    section = [
        f"## {USERS} users scanning at once",
        "",
        f"{USERS} users each start a scan of {MESSAGES} messages at the same moment (all "
        f"{USERS} `startScan` calls answered in {burst_seconds * 1000:.0f} ms) on a worker with "
        f"concurrency {USER_CONCURRENCY}; the others wait in the queue. Each user polls "
        f"`scanStatus` and `task` every {POLL_INTERVAL:.0f} s ({2 * USERS / POLL_INTERVAL:.0f} "
        f"requests/s in all), first with no scan running, then during the scans (running when "
        f"the polls ended: {running}).",
        "",
        LATENCY_HEADER,
        latency_row("scanStatus, idle", idle_status),
        latency_row("task, idle", idle_task),
        latency_row(f"scanStatus, {USERS} users scanning", loaded_status),
        latency_row(f"task, {USERS} users scanning", loaded_task),
        "",
        cpu,
        "",
        f"Target: both queries' p50 and p99 during the scans within {LOADED_RATIO:.0f}x of idle: "
        f"**{'met' if met else 'NOT met'}** (p50 {p50_ratio:.2f}x, p99 {p99_ratio:.2f}x).",
    ]
    return "\n".join(section), met


async def run(stack: Stack) -> tuple[str, bool]:
    """Run both parts; the markdown sections and whether both targets were met."""
    await stop_workers(stack)
    fill_mailbox(stack, MAILBOX, MESSAGES)
    starts, starts_met = await starts_while_scanning(stack)
    users, users_met = await users_scanning(stack)
    return f"{starts}\n\n{users}", starts_met and users_met
