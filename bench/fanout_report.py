"""The fan-out benchmark's markdown section."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from bench.fanout import (
    EVENTS_PER_SECOND,
    FLEETS,
    SPARE_FILES,
    TARGET_P99_MS,
    WINDOW_SECONDS,
    SizeResult,
)
from bench.figures import percentile

MIB = 1024 * 1024
HEADER = (
    "| subscribers | connected in | API RSS MiB (after window) | KiB per subscriber "
    "| p50 ms | p99 ms | max ms | events/s per client: median (min) | got the last state "
    "| CPU in window: API, clients, Redis |\n|---|---|---|---|---|---|---|---|---|---|"
)


def row(result: SizeResult, added: int) -> str:
    lat = result.latencies or [float("nan")]
    per_subscriber = (result.rss_after - result.rss_before) / max(added, 1) / 1024
    cpu = result.cpu
    connected = f"{result.connected:,}"
    if result.connected < result.size:
        connected = f"{connected} of {result.size:,} ({_failures(result)})"
    return (
        f"| {connected} | {result.connect_seconds:.1f} s "
        f"| {result.rss_after / MIB:.0f} ({result.rss_after_window / MIB:.0f}) "
        f"| {per_subscriber:.1f} | {statistics.median(lat):.1f} | {percentile(lat, 99):.1f} "
        f"| {max(lat):.1f} | {statistics.median(result.rates or [0]):.1f} "
        f"({min(result.rates or [0]):.1f}) "
        f"| {result.caught_up:,} in {result.drain_seconds:.1f} s "
        f"| {cpu['api']:.0%}, {cpu['clients']:.0%}, {cpu['redis']:.0%} |"
    )


def _failures(result: SizeResult) -> str:
    return ", ".join(f"{count} {name}" for name, count in result.failures.items()) or "closed"


def verdict(results: Sequence[SizeResult], sizes: Sequence[int]) -> tuple[str, bool]:
    measured = {result.size: result for result in results}
    parts, met = [], True
    for size, target in TARGET_P99_MS.items():
        result = measured.get(size)
        if result is None:
            parts.append(f"{size:,}: not measured")
            met = False
            continue
        p99 = percentile(result.latencies, 99) if result.latencies else float("nan")
        ok = bool(result.met)
        met &= ok
        parts.append(
            f"{size:,} subscribers p99 under {target:.0f} ms, all of them getting the last "
            f"state: **{'met' if ok else 'NOT met'}** (p99 {p99:.0f} ms, "
            f"{result.caught_up:,} of {result.size:,})"
        )
    return "Targets: " + "; ".join(parts) + ".", met


def section(results: Sequence[SizeResult], sizes: Sequence[int], files: int) -> tuple[str, bool]:
    rows, held = [], 0
    for result in results:
        rows.append(row(result, result.connected - held))
        held = result.connected
    skipped = [size for size in sizes if size not in {r.size for r in results}]
    notes = []
    if skipped:
        notes.append(
            f"Not measured: {', '.join(f'{s:,}' for s in skipped)} subscribers; the API's "
            f"open-files limit is {files:,} (needs the size plus {SPARE_FILES})."
        )
    text, met = verdict(results, sizes)
    lines = [
        "## Fan-out: one task's progress to many websocket subscribers",
        "",
        f"One API process (uvicorn, open-files limit {files:,}). Every subscriber follows one "
        f"task with `taskProgress` on its own graphql-transport-ws connection; the bench "
        f"publishes that task's events to Redis at {EVENTS_PER_SECOND}/s for "
        f"{WINDOW_SECONDS:.0f} s, each carrying its send time, and waits until every "
        f"subscriber has the last one. Latency is publish to receipt of the events each client "
        f"received (the relay may skip a stale intermediate state for a slow client). Clients: "
        f"aiohttp in {FLEETS} processes of their own on the same 2 CPUs, offering "
        f"permessage-deflate as browsers do (the API declines it: see core/processes.py). "
        f"Memory: the API's RSS growth over the subscribers added at that size, connections "
        f"kept from one size to the next (the first 100 may fit in memory the API freed "
        f"earlier: read the larger steps). CPU: cores used by each side from the first event "
        f"until the last state reached every client (1 core = 100%).",
        "",
        HEADER,
        *rows,
        "",
        *notes,
        text,
    ]
    return "\n".join(lines), met
