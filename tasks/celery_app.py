"""The one Celery app: `celery -A tasks.celery_app worker -Q email_scanning` runs it.

Configured as the old system ran scans: queue `email_scanning` (OCR jobs: queue `ocr`, the same
settings), concurrency from settings,
30 min hard and 25 min soft time limit, a fresh process every 50 tasks, late acks with a prefetch
of one (a long scan never waits behind another on a busy worker), and task events for Flower.

Beat (`invoicescan beat`, exactly one: a worker of the `maintenance` queue with beat embedded)
runs the reaper every REAPER_INTERVAL_SECONDS, the removal of old finished tasks daily, and, when
SCHEDULED_SCAN_MINUTES is set, a rescan of every account.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_init

from core.settings import settings
from tasks import broker_fix

broker_fix.install()

SCAN_QUEUE = "email_scanning"
# OCR of scanned documents (tasks/ocr.py): a queue of its own, so a scan's text invoices never
# wait behind seconds of OCR a page, with workers of their own (`invoicescan worker --queues ocr`).
OCR_QUEUE = "ocr"
OCR_TASK = "scans.ocr_part"
# What beat schedules runs on a worker of its own (`invoicescan beat` starts it with beat): on
# the scan workers it would wait behind scans, and expire, whenever every pool process scans.
MAINTENANCE_QUEUE = "maintenance"
MAINTENANCE_TASKS = (
    "scans.reap_stale_tasks",
    "scans.remove_finished_tasks",
    "scans.rescan_accounts",
)

app = Celery("invoicescan", broker=settings.broker_url, backend=settings.result_backend)
app.conf.update(
    include=["tasks.scan", "tasks.part_task", "tasks.ocr", "tasks.reaper", "tasks.housekeeping"],
    task_default_queue=SCAN_QUEUE,
    task_routes={
        **{name: {"queue": MAINTENANCE_QUEUE} for name in MAINTENANCE_TASKS},
        OCR_TASK: {"queue": OCR_QUEUE},
        "scans.*": {"queue": SCAN_QUEUE},
    },
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    timezone="UTC",
    enable_utc=True,
    worker_concurrency=settings.CELERY_WORKER_CONCURRENCY,
    task_time_limit=30 * 60,
    task_soft_time_limit=25 * 60,
    worker_max_tasks_per_child=50,
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    # A worker killed mid-scan returns its message to the queue instead of acking it.
    task_reject_on_worker_lost=True,
    worker_send_task_events=True,
    task_send_sent_event=True,
    # Task state lives in MongoDB; Celery's own results would only duplicate it in Redis.
    task_ignore_result=True,
    # Redelivery of an unacked message waits this long: it must exceed the 30 min hard limit,
    # or a scan still running would be handed to a second worker.
    broker_transport_options={"visibility_timeout": 3600},
    broker_connection_retry_on_startup=True,
    # No pool of broker connections. A pooled kombu connection remembers what it declared (its
    # declared_entities and its transport's BrokerState) while its Redis sockets reconnect
    # underneath; after Redis restarts empty it never binds the scan queue or inspect's reply
    # queue again, so a new scan's message is routed to no queue and systemHealth sees no
    # worker until the API restarts. A fresh connection declares again; it costs about 5 ms of
    # CPU per publish here (1 ms pooled). Scan messages, which need no declaration to arrive,
    # go out on one kept connection instead (tasks/publisher.py).
    broker_pool_limit=0,
    # Beat keeps its schedule in memory. The default PersistentScheduler keeps it in a shelve,
    # which on Python 3.13 is a dbm.sqlite3 file; beat embedded in the maintenance worker died
    # at its first sync there ("dbm.sqlite3.error: locking protocol"), leaving no reaper. Every
    # entry is an interval or a daily time, so nothing is lost when beat restarts: an interval
    # entry is first due one interval after the start.
    beat_scheduler="celery.beat:Scheduler",
)


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Beat's entries, from settings. Each message expires when the next one is due: with every
    pool process busy scanning, housekeeping waits in the queue, and a pile of stale copies
    would then run back to back for nothing."""
    reaper = settings.REAPER_INTERVAL_SECONDS
    schedule: dict[str, dict[str, Any]] = {
        "reap-stale-tasks": {
            "task": "scans.reap_stale_tasks",
            "schedule": float(reaper),
            "options": {"expires": reaper},
        },
        "remove-finished-tasks": {
            "task": "scans.remove_finished_tasks",
            "schedule": crontab(hour=3, minute=30),
            "options": {"expires": 24 * 3600},
        },
    }
    if settings.SCHEDULED_SCAN_MINUTES:
        every = settings.SCHEDULED_SCAN_MINUTES * 60
        schedule["rescan-accounts"] = {
            "task": "scans.rescan_accounts",
            "schedule": float(every),
            "options": {"expires": every},
        }
    return schedule


app.conf.beat_schedule = beat_schedule()


@worker_init.connect
def _lower_cpu_priority(**_: Any) -> None:
    """Scans are batch work: on a machine shared with the API or the store, let those answer
    first. The pool's processes inherit the niceness of the worker's main process."""
    if not settings.CELERY_WORKER_NICE:
        return
    os.nice(settings.CELERY_WORKER_NICE)
    # With Linux's autogroup scheduling (the default on desktops and many servers), niceness only
    # ranks processes within one session; a worker in its own session also lowers its group.
    with contextlib.suppress(OSError):
        Path("/proc/self/autogroup").write_text(str(settings.CELERY_WORKER_NICE))
