"""`python -m bench`: run every benchmark against real services, print the figures and rewrite
BENCHMARKS.md. Exits non-zero when a target is missed.

`python -m bench attacks fanout` runs only the benchmarks named and prints their sections,
leaving BENCHMARKS.md alone (it holds one whole run, never a mix of runs)."""

from __future__ import annotations

import asyncio
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.support.environment import prepare_environment, uses_real_mongodb

BASE, PORTS = prepare_environment("invoicescan-bench-")

from bench import (  # noqa: E402 - settings need the env first
    attacks,
    concurrent_clients,
    extraction,
    fanout,
    large_mailbox,
    ocr,
    ocr_load,
    progress_latency,
    real_invoices,
    scan_load,
    startscan_latency,
)
from bench.procstat import raise_open_files_limit  # noqa: E402
from bench.stack import running_stack  # noqa: E402

ALL = (
    extraction,
    real_invoices,
    ocr,
    startscan_latency,
    concurrent_clients,
    progress_latency,
    scan_load,
    large_mailbox,
    fanout,
    ocr_load,
    attacks,
)
OUTPUT = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


async def main(chosen: list[str]) -> int:
    sections = []
    all_met = True
    raise_open_files_limit()  # the API, started next, inherits it: fanout holds 5,000 sockets
    async with running_stack(BASE, PORTS) as stack:
        benchmarks = [
            benchmark
            for benchmark in ALL
            if not chosen or benchmark.__name__.rsplit(".", 1)[1] in chosen
        ]
        for benchmark in benchmarks:
            section, met = await benchmark.run(stack)
            print(section, end="\n\n", flush=True)
            sections.append(section)
            all_met &= met
    if chosen:
        return 0 if all_met else 1
    store = "MongoDB at MONGODB_URL" if uses_real_mongodb() else "the embedded store (SQLite)"
    header = "\n".join(
        [
            "# Benchmarks",
            "",
            "Written by `make bench` (`python -m bench`); do not edit by hand. Figures are from "
            "one run on the machine below; compare rows of one run, not runs of different days.",
            "",
            f"- Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, {store}, Redis and Dovecot on loopback.",
            "",
        ]
    )
    OUTPUT.write_text(header + "\n" + "\n\n".join(sections) + "\n")
    print(f"wrote {OUTPUT}")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
