"""scanStatus and startScan latency with 50 concurrent clients.

Each client behaves like a frontend: it sends one request, waits for the answer, then waits until
its next tick (with its own random phase), so the 50 clients together offer a steady load: a
progress poll every STATUS_INTERVAL seconds, a new scan every START_INTERVAL seconds. A closed
loop (no waiting) then measures the throughput at saturation, for the record.

The load comes from aiohttp: httpx's connection pool, on this machine, tops out near 250 requests/s
on /healthz (aiohttp: about 3,700), so it measured itself rather than the API.
"""

from __future__ import annotations

import asyncio
import random
import time

import aiohttp
import httpx

from bench.figures import LATENCY_HEADER, latency_row, percentile
from bench.scans import START, add_accounts, drop_queued, task_ids_of
from bench.stack import Stack
from tests.support.graphql import data_of, gql, token_for

CLIENTS = 50
STATUS_INTERVAL = 1.0
START_INTERVAL = 2.0
SATURATION_CALLS = 1000
STATUS_ROUNDS = 20
START_ROUNDS = 5
SCAN_STATUS = "query($id: ID!) { scanStatus(accountId: $id) { id status progress } }"


async def client_loop(
    session: aiohttp.ClientSession,
    url: str,
    user: str,
    query: str,
    account_ids: list[str],
    samples: list[float],
    interval: float,
) -> None:
    headers = {"Authorization": f"Bearer {token_for(user)}"}
    await asyncio.sleep(random.uniform(0, interval))
    for account_id in account_ids:
        tick = time.perf_counter()
        payload = {"query": query, "variables": {"id": account_id}}
        async with session.post(url, json=payload, headers=headers) as response:
            body = await response.json()
        samples.append((time.perf_counter() - tick) * 1000)
        data_of(body)
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - tick)))


async def saturation(
    session: aiohttp.ClientSession, url: str, accounts: dict[str, list[str]]
) -> float:
    """scanStatus requests per second when the 50 clients send back to back."""
    per_client = SATURATION_CALLS // CLIENTS
    began = time.perf_counter()
    await asyncio.gather(
        *(
            client_loop(session, url, user, SCAN_STATUS, [ids[0]] * per_client, [], 0.0)
            for user, ids in accounts.items()
        )
    )
    return per_client * CLIENTS / (time.perf_counter() - began)


async def run(stack: Stack) -> tuple[str, bool]:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as http:
        accounts = {}
        for n in range(CLIENTS):
            accounts[f"client{n}"] = await add_accounts(
                http, stack, f"client{n}", "probe@example.com", "pw", START_ROUNDS
            )
        for user, ids in accounts.items():  # every account has a task, so scanStatus finds one
            await gql(http, START, {"id": ids[0]}, token=token_for(user))
    await drop_queued([t for user in accounts for t in await task_ids_of(user)])

    url = f"{stack.api_url}/graphql"
    status: list[float] = []
    starts: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS)) as session:
        await asyncio.gather(
            *(
                client_loop(
                    session,
                    url,
                    user,
                    SCAN_STATUS,
                    [ids[0]] * STATUS_ROUNDS,
                    status,
                    STATUS_INTERVAL,
                )
                for user, ids in accounts.items()
            )
        )
        await asyncio.gather(
            *(
                client_loop(session, url, user, START, ids, starts, START_INTERVAL)
                for user, ids in accounts.items()
            )
        )
        saturated = await saturation(session, url, accounts)
    await drop_queued([t for user in accounts for t in await task_ids_of(user)])

    status_p50, start_p99 = percentile(status, 50), percentile(starts, 99)
    met = status_p50 < 20 and start_p99 < 100
    section = "\n".join(
        [
            f"## {CLIENTS} concurrent clients",
            "",
            f"{CLIENTS} clients, each on its own connection and waiting for each answer, poll "
            f"`scanStatus` every {STATUS_INTERVAL:.0f} s ({CLIENTS / STATUS_INTERVAL:.0f} "
            f"requests/s in all), then each start a scan every {START_INTERVAL:.0f} s "
            f"({CLIENTS / START_INTERVAL:.0f} requests/s); no scan runs meanwhile. The clients "
            "run in one Python process (aiohttp) on the same 2 CPUs as the API and the embedded "
            "store.",
            "",
            LATENCY_HEADER,
            latency_row("scanStatus", status),
            latency_row("startScan (a new account each call)", starts),
            "",
            f"Saturation: {saturated:.0f} `scanStatus` requests/s with the {CLIENTS} clients "
            "sending back to back.",
            "",
            f"Targets: scanStatus p50 under 20 ms, startScan p99 under 100 ms: "
            f"**{'met' if met else 'NOT met'}** (p50 {status_p50:.1f} ms, p99 {start_p99:.1f} ms).",
        ]
    )
    return section, met
