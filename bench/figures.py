"""Latency percentiles and the markdown they are reported in."""

from __future__ import annotations

import statistics


def percentile(samples: list[float], pct: float) -> float:
    """The nearest-rank percentile of `samples`."""
    ordered = sorted(samples)
    rank = max(1, round(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_row(label: str, samples_ms: list[float]) -> str:
    return (
        f"| {label} | {len(samples_ms)} | {statistics.median(samples_ms):.1f} | "
        f"{percentile(samples_ms, 95):.1f} | {percentile(samples_ms, 99):.1f} | "
        f"{max(samples_ms):.1f} |"
    )


LATENCY_HEADER = (
    "| condition | calls | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|---|"
)
