"""The task that reads one part of a split scan (tasks/parts.py) on any scan worker.

A part runs only from QUEUED in the attempt its message names, so a redelivered or resent message
of a part that runs or ran does nothing. It searches its UID range again (the same keys as the
scan's search), reads on after its own mark, and counts into the task (tasks/part_recorder.py).

Fairness: parts are queued behind every whole scan (tasks/queue_depth.py), and a part that has
run SCAN_SLICE_SECONDS while a whole scan waits stores its place, goes back to the queue and
frees its worker: one huge scan holds no worker long while another user's scan waits.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time

from beanie import PydanticObjectId
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from pymongo import ReturnDocument
from redis.asyncio import Redis

from core.settings import settings
from models import EmailAccount, ScanTask
from models.email_account import utcnow
from models.enums import ScanType, TaskStatus
from models.scan_task import PartState
from scanner.folders import addressed_to, groups_criteria, inbox_criteria, uids_between
from scanner.imap import ImapError
from tasks.batches import FolderFindings
from tasks.celery_app import app
from tasks.heartbeat import Heartbeat
from tasks.lifecycle import terminal_changes
from tasks.mailbox import (
    FETCH_BATCH_SIZE,
    SCAN_TIME_LIMIT_SECONDS,
    imap_session,
    login_for,
    scan_limits,
)
from tasks.part_recorder import PartRecorder
from tasks.parts import finish_split, hand_out, resend_lost, send_part
from tasks.progress import TaskState, publish_task_state
from tasks.publisher import PART_TASK
from tasks.queue_depth import scans_waiting
from tasks.read_ahead import ReadAhead
from tasks.recorder import TaskNoLongerRunning
from tasks.runtime import run, runtime

log = logging.getLogger(__name__)


class AccountRemoved(Exception):
    """The scan's account is gone (removeEmailAccount cancels its scan first, so this is rare)."""


@app.task(name=PART_TASK, bind=True)
def scan_part(self: Task, task_id: str, part_key: str, attempt: int) -> None:
    """Read the part `part_key` of the split ScanTask `task_id`, in its attempt `attempt`."""
    run(part_task(task_id, part_key, attempt, worker=self.request.hostname))


async def part_task(
    task_id: str, part_key: str, attempt: int, *, worker: str | None = None
) -> None:
    """Run the part if it is still QUEUED in `attempt`; otherwise do nothing."""
    task = await _claim(task_id, part_key, attempt, worker)
    if task is None:
        log.info("scan %s part %s (attempt %d): nothing to do", task_id, part_key, attempt)
        return
    redis = runtime().redis
    recorder = PartRecorder(task, part_key, redis)
    try:
        async with Heartbeat(task_id, attempt, part=part_key):
            async with asyncio.timeout(SCAN_TIME_LIMIT_SECONDS):
                finished = await _read(recorder)
        if not finished:
            await send_part(task_id, part_key, attempt)
            return
        stored = await recorder.done()
        if stored.parts_done >= stored.parts_total:
            await finish_split(stored, redis)
            return
        await hand_out(stored)
        await resend_lost(stored)
    except TaskNoLongerRunning:
        log.info("scan %s part %s stopped: no longer this run's", task_id, part_key)
    except (ImapError, AccountRemoved) as exc:
        await fail_scan(recorder, redis, str(exc))
    except (TimeoutError, SoftTimeLimitExceeded):
        await fail_scan(recorder, redis, "The scan exceeded its time limit")
    except Exception:
        log.exception("scan %s part %s failed", task_id, part_key)
        await fail_scan(recorder, redis, "Internal error while scanning")


async def _claim(task_id: str, part_key: str, attempt: int, worker: str | None) -> ScanTask | None:
    """QUEUED to RUNNING in `attempt`, while the task is in PROGRESS; the task as stored."""
    path = f"position.parts.{part_key}"
    stored = await ScanTask.get_pymongo_collection().find_one_and_update(
        {
            "_id": task_id,
            "status": TaskStatus.PROGRESS.value,
            f"{path}.state": PartState.QUEUED.value,
            f"{path}.attempt": attempt,
        },
        {
            "$set": {
                f"{path}.state": PartState.RUNNING.value,
                f"{path}.since": utcnow(),
                f"{path}.worker": worker,
                f"{path}.worker_pid": os.getpid(),
                "heartbeat_at": utcnow(),
            }
        },
        return_document=ReturnDocument.AFTER,
    )
    return None if stored is None else ScanTask.model_validate(stored)


async def _read(recorder: PartRecorder) -> bool:
    """Read the part on from its mark; False when it stopped early to give its worker up."""
    task, mark = recorder.task, recorder.mark
    account = await EmailAccount.get(PydanticObjectId(task.account_id))
    if account is None:
        raise AccountRemoved("The email account was removed")
    assert task.position is not None
    groups = task.scan_type is ScanType.GROUPS
    criteria = (
        groups_criteria(task.position.since, account.group_addresses)
        if groups
        else inbox_criteria(task.position.since)
    )
    keep = addressed_to(account.group_addresses) if groups else None
    limits = scan_limits()
    started = time.monotonic()
    async with imap_session(login_for(account), task) as session:
        uidvalidity = await asyncio.to_thread(session.select, mark.folder)
        if uidvalidity != mark.uidvalidity:
            raise ImapError("A folder was rebuilt on the server while it was scanned; scan again")
        uids = await asyncio.to_thread(
            uids_between, session, criteria, mark.read_up_to + 1, mark.last_uid
        )
        findings = FolderFindings(recorder, mark.folder_key, mark.folder, limits)
        async with ReadAhead(session, uids, FETCH_BATCH_SIZE, limits, keep) as reader:
            async for batch, messages in reader:
                await findings.add(messages)
                if batch[-1] != uids[-1] and await _others_waiting(started):
                    await findings.settle()
                    await recorder.requeued()
                    return False
        await findings.settle()
    return True


async def _others_waiting(started: float) -> bool:
    """Whether the part has had its slice of time and a whole scan waits for a worker: a
    message in the queue whose task is still PENDING (a scan cancelled while queued leaves its
    message behind, which needs no worker to wait for)."""
    if time.monotonic() - started < settings.SCAN_SLICE_SECONDS:
        return False
    if not await scans_waiting(runtime().broker):
        return False
    pending = await ScanTask.get_pymongo_collection().find_one(
        {"status": TaskStatus.PENDING.value}, {"_id": 1}
    )
    return pending is not None


async def fail_scan(recorder: PartRecorder, redis: Redis, error: str) -> None:
    """End the whole task FAILURE (a part that cannot be read leaves the scan incomplete), but
    only while this run still holds its part: a run the reaper took back, or a part already
    DONE whose hand-out failed, leaves the scan to the other parts and the reaper."""
    task = recorder.task
    changes = terminal_changes(TaskStatus.FAILURE, task.started_at, error=error)
    stored = await ScanTask.apply_changes(
        task.id, changes, only_if={TaskStatus.PROGRESS}, where=recorder.fence()
    )
    if stored is None:
        log.info(
            "scan %s part %s: not this run's any more, not failed with %r",
            task.id,
            recorder.part_key,
            error,
        )
        return
    await publish_task_state(redis, TaskState.from_document(stored))
