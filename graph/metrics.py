"""Prometheus metrics of the API process: GraphQL requests and latency by operation, open
subscriptions, and scan tasks by status (read from MongoDB at scrape time, so every worker's and
every replica's scans count)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

from models import ScanTask
from models.enums import TaskStatus

REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "invoicescan_graphql_requests_total",
    "GraphQL operations executed.",
    ["operation", "type", "outcome"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "invoicescan_graphql_request_duration_seconds",
    "GraphQL operation latency.",
    ["operation", "type"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OPEN_SUBSCRIPTIONS = Gauge(
    "invoicescan_open_subscriptions", "Subscriptions open on this process.", registry=REGISTRY
)
SCANS_STARTED = Counter(
    "invoicescan_scans_started_total", "Scans started through this process.", registry=REGISTRY
)
SCAN_TASKS = Gauge(
    "invoicescan_scan_tasks",
    "Scan tasks stored, by status (all processes).",
    ["status"],
    registry=REGISTRY,
)


# Operation names are the client's to choose, and every distinct label value is a new series
# kept for the process's life: 40 names of 200,000 letters made /metrics 128 MB. A name becomes a
# label only once an operation of that name has run without error for an authenticated caller
# (so no stranger can claim the slots), if it looks like one a client writes by hand (a GraphQL
# name of at most 64 characters), and while fewer than MAX_OPERATION_NAMES names are labelled;
# every other is "other". Real clients send a few dozen fixed names, so the cap bounds the series
# (names x types x outcomes) and the memory without hiding the names that matter; a flood of
# invented names shows up as a growing "other".
MAX_OPERATION_NAMES = 100
OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_labelled: set[str] = set()


def operation_label(name: str | None, *, vouched: bool) -> str:
    """The label of an operation named `name`, from a bounded set of values. `vouched`: the
    operation ran without error for an authenticated caller, so its name may join the set."""
    if not name:
        return "anonymous"
    if name in _labelled:
        return name
    if vouched and len(_labelled) < MAX_OPERATION_NAMES and OPERATION_NAME.fullmatch(name):
        _labelled.add(name)
        return name
    return "other"


class OperationMetrics(SchemaExtension):
    """Counts and times every operation, labelled with operation_label of its name."""

    def on_operation(self) -> Iterator[None]:
        began = time.perf_counter()
        yield
        context = self.execution_context
        try:
            kind = context.operation_type.value
        except RuntimeError:  # the document did not parse (syntax, token limit)
            kind = "unknown"
        result = context.result
        outcome = "error" if result is None or getattr(result, "errors", None) else "ok"
        caller = getattr(context.context, "authenticated", False)
        name = operation_label(context.operation_name, vouched=outcome == "ok" and caller)
        REQUESTS.labels(name, kind, outcome).inc()
        if kind != "subscription":  # a subscription's duration is its lifetime, not latency
            LATENCY.labels(name, kind).observe(time.perf_counter() - began)


async def metrics(request: Request) -> Response:
    """The Prometheus text exposition."""
    collection = ScanTask.get_pymongo_collection()
    rows = await (
        await collection.aggregate([{"$group": {"_id": "$status", "count": {"$sum": 1}}}])
    ).to_list()
    counts = {row["_id"]: row["count"] for row in rows}
    for status in TaskStatus:
        SCAN_TASKS.labels(status.value).set(counts.get(status.value, 0))
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
