"""Beat's housekeeping: removing old finished tasks, and the optional scheduled rescans."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from core.errors import Conflict
from core.settings import settings
from models import EmailAccount, ScanTask
from models.email_account import utcnow
from models.enums import TERMINAL_STATUSES, ScanType
from tasks.celery_app import app
from tasks.dispatch import start_scan
from tasks.runtime import run, runtime

log = logging.getLogger(__name__)


@app.task(name="scans.remove_finished_tasks")
def remove_finished_tasks_task() -> int:
    """Beat's daily entry point: remove finished tasks past retention; how many."""
    return run(remove_finished_tasks())


async def remove_finished_tasks(now: datetime | None = None) -> int:
    """Remove SUCCESS, FAILURE and CANCELLED tasks that finished more than TASK_RETENTION_DAYS
    ago. Their invoices stay: an invoice is the user's record, the task only its history."""
    cutoff = (now or utcnow()) - timedelta(days=settings.TASK_RETENTION_DAYS)
    result = await ScanTask.get_pymongo_collection().delete_many(
        {
            "status": {"$in": [status.value for status in TERMINAL_STATUSES]},
            "finished_at": {"$lt": cutoff},
        }
    )
    return result.deleted_count


@app.task(name="scans.rescan_accounts")
def rescan_accounts_task() -> int:
    """Beat's entry point when SCHEDULED_SCAN_MINUTES is set: rescan every account."""
    return run(rescan_accounts(runtime().redis))


async def rescan_accounts(redis: Redis, where: dict[str, Any] | None = None) -> int:
    """Start a scan of every account (those matching `where`, when given) over
    SCHEDULED_SCAN_MONTHS through the API's start path; how many started. Incremental: each
    folder is read on from what earlier scans read. An account whose scan runs is skipped."""
    started = 0
    async for account in EmailAccount.find(where or {}):
        scan_type = await due_scan_type(account)
        try:
            await start_scan(account, scan_type, settings.SCHEDULED_SCAN_MONTHS, redis)
        except Conflict:
            continue
        except Exception:  # one account's failure must not hold up the others
            log.exception("scheduled scan of account %s not started", account.id)
            continue
        started += 1
    return started


async def due_scan_type(account: EmailAccount) -> ScanType:
    """INBOX, or for an account with group addresses the type scanned least recently: an
    account runs one scan at a time, so its INBOX and GROUPS scans take turns."""
    if not account.group_addresses:
        return ScanType.INBOX

    async def latest(scan_type: ScanType) -> datetime | None:
        task = (
            await ScanTask.find({"account_id": str(account.id), "scan_type": scan_type.value})
            .sort("-created_at")
            .first_or_none()
        )
        return task.created_at if task else None

    inbox, groups = await latest(ScanType.INBOX), await latest(ScanType.GROUPS)
    if inbox is None or (groups is not None and inbox <= groups):
        return ScanType.INBOX
    return ScanType.GROUPS
