"""scanStatus and startScan latency with 50 concurrent clients.

Each client behaves like a frontend: it sends one request, waits for the answer, then waits until
its next tick (every POLL_INTERVAL seconds, with its own random phase), so the 50 clients together
offer a steady load instead of a closed loop measuring only saturation.
"""

from __future__ import annotations

import asyncio
import random
import time

import httpx

from bench.figures import LATENCY_HEADER, latency_row, percentile
from bench.stack import Stack
from bench.startscan_latency import add_accounts, drop_queued, task_ids_of
from tests.support.graphql import data_of, gql, token_for

CLIENTS = 50
POLL_INTERVAL = 0.5
STATUS_ROUNDS = 20
START_ROUNDS = 5
SCAN_STATUS = "query($id: ID!) { scanStatus(accountId: $id) { id status progress } }"
START = "mutation($id: ID!) { startScan(accountId: $id, months: 3) { taskId status } }"


async def client_loop(
    http: httpx.AsyncClient, user: str, query: str, account_ids: list[str], samples: list[float]
) -> None:
    token = token_for(user)
    await asyncio.sleep(random.uniform(0, POLL_INTERVAL))
    for account_id in account_ids:
        tick = time.perf_counter()
        body = await gql(http, query, {"id": account_id}, token=token)
        samples.append((time.perf_counter() - tick) * 1000)
        data_of(body)
        await asyncio.sleep(max(0.0, POLL_INTERVAL - (time.perf_counter() - tick)))


async def run(stack: Stack) -> tuple[str, bool]:
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30, limits=limits) as http:
        accounts = {}
        for n in range(CLIENTS):
            accounts[f"client{n}"] = await add_accounts(
                http, stack, f"client{n}", "probe@example.com", "pw", START_ROUNDS
            )
        for user, ids in accounts.items():  # every account has a task, so scanStatus finds one
            await gql(http, START, {"id": ids[0]}, token=token_for(user))
        await drop_queued([t for user in accounts for t in await task_ids_of(user)])

        status: list[float] = []
        await asyncio.gather(
            *(
                client_loop(http, user, SCAN_STATUS, [ids[0]] * STATUS_ROUNDS, status)
                for user, ids in accounts.items()
            )
        )
        starts: list[float] = []
        await asyncio.gather(
            *(client_loop(http, user, START, ids, starts) for user, ids in accounts.items())
        )
        await drop_queued([t for user in accounts for t in await task_ids_of(user)])

    status_p50, start_p99 = percentile(status, 50), percentile(starts, 99)
    met = status_p50 < 20 and start_p99 < 100
    section = "\n".join(
        [
            f"## {CLIENTS} concurrent clients",
            "",
            f"{CLIENTS} clients, each on its own connection, send one request every "
            f"{POLL_INTERVAL * 1000:.0f} ms (about {CLIENTS / POLL_INTERVAL:.0f} requests/s in "
            "all), waiting for each answer; no scan runs meanwhile. The clients run in one Python "
            "process (httpx) on the same 2 CPUs as the API and the embedded store.",
            "",
            LATENCY_HEADER,
            latency_row("scanStatus", status),
            latency_row("startScan (a new account each call)", starts),
            "",
            f"Targets: scanStatus p50 under 20 ms, startScan p99 under 100 ms: "
            f"**{'met' if met else 'NOT met'}** (p50 {status_p50:.1f} ms, p99 {start_p99:.1f} ms).",
        ]
    )
    return section, met
