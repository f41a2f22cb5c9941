"""Load what a caller may see: another user's object is NOT_FOUND, exactly like a missing one."""

from __future__ import annotations

import uuid

from beanie import PydanticObjectId
from bson.errors import InvalidId

from core.auth import Principal
from core.errors import BadInput, NotFound
from models import EmailAccount, ScanTask


def object_id(value: str, argument: str) -> PydanticObjectId:
    """Parse an ObjectId argument; a malformed one is BAD_USER_INPUT naming `argument`."""
    try:
        return PydanticObjectId(value)
    except (InvalidId, TypeError) as exc:
        raise BadInput(f"{argument} is not a valid id", argument=argument) from exc


async def account_for(principal: Principal, account_id: str) -> EmailAccount:
    """The caller's account `account_id` (argument `accountId`)."""
    account = await EmailAccount.get(object_id(account_id, "accountId"))
    if account is None or account.user_id != principal.user_id:
        raise NotFound("No such email account")
    return account


async def task_for(principal: Principal, task_id: str) -> ScanTask:
    """The task `task_id` if the caller owns it or is an admin."""
    try:
        uuid.UUID(task_id)
    except ValueError as exc:
        raise BadInput("taskId is not a valid id", argument="taskId") from exc
    task = await ScanTask.get(task_id)
    if task is None or not (principal.is_admin or task.user_id == principal.user_id):
        raise NotFound("No such task")
    return task


async def latest_task_of(account: EmailAccount) -> ScanTask:
    """The account's running task, else its newest one."""
    of_account = {"account_id": str(account.id)}
    latest = await ScanTask.find({**of_account, "active": True}).first_or_none()
    if latest is None:
        latest = await ScanTask.find(of_account).sort("-created_at").first_or_none()
    if latest is None:
        raise NotFound("This account has no task")
    return latest
