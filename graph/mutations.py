"""Mutation resolvers."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from core.errors import BadInput
from graph.accounts import add_account
from graph.context import Context
from graph.lookups import account_for, latest_task_of, task_for
from graph.metrics import SCANS_STARTED
from graph.quotas import check_account_quota, scan_start_quota, settle_account_quota
from graph.types import (
    AddEmailAccountInput,
    CancelAllTasksPayload,
    EmailAccount,
    ScanTask,
    StartScanPayload,
)
from models import Invoice as InvoiceDocument
from models.enums import ScanType
from tasks.cancel import cancel_active_tasks, cancel_task
from tasks.dispatch import start_scan

MIN_MONTHS, MAX_MONTHS = 1, 24


@strawberry.type(description="Changes.")
class Mutation:
    @strawberry.mutation(description="Connect a mailbox; with verify, log in once first.")
    async def add_email_account(
        self,
        info: Info[Context, None],
        input: Annotated[AddEmailAccountInput, strawberry.argument(description="The mailbox.")],
    ) -> EmailAccount:
        principal = info.context.user()
        await check_account_quota(principal)
        account = await add_account(principal, input)
        await settle_account_quota(principal, account)
        return EmailAccount.from_document(account)

    @strawberry.mutation(
        description="Queue a scan of the account and answer at once. A second scan while one is "
        "PENDING or PROGRESS answers CONFLICT with extensions.taskId."
    )
    async def start_scan(
        self,
        info: Info[Context, None],
        account_id: Annotated[
            strawberry.ID, strawberry.argument(description="The account to scan.")
        ],
        scan_type: Annotated[
            ScanType, strawberry.argument(description="INBOX or GROUPS.")
        ] = ScanType.INBOX,
        months: Annotated[int, strawberry.argument(description="Calendar months back, 1..24.")] = 3,
    ) -> StartScanPayload:
        if not MIN_MONTHS <= months <= MAX_MONTHS:
            raise BadInput(
                f"months must be between {MIN_MONTHS} and {MAX_MONTHS}", argument="months"
            )
        principal = info.context.user()
        account = await account_for(principal, account_id)
        if scan_type is ScanType.GROUPS and not account.group_addresses:
            raise BadInput("A GROUPS scan needs the account's groupAddresses", argument="scanType")
        async with scan_start_quota(info.context.redis, principal):
            task = await start_scan(account, scan_type, months, info.context.redis)
        SCANS_STARTED.inc()
        state = ScanTask.from_document(task)
        return StartScanPayload(
            message=f"Email scan started for {months} months",
            task_id=state.id,
            status=state.status,
            estimated_duration_seconds=state.estimated_duration_seconds,
            task=state,
        )

    @strawberry.mutation(
        description="Cancel the account's running scan, then delete the account, its "
        "credentials and its invoices. Its tasks stay as history."
    )
    async def remove_email_account(
        self,
        info: Info[Context, None],
        account_id: Annotated[
            strawberry.ID, strawberry.argument(description="The account to remove.")
        ],
    ) -> bool:
        account = await account_for(info.context.user(), account_id)
        await cancel_active_tasks(str(account.id), info.context.redis)
        # The account first, then its invoices: a worker still storing a chunk checks after
        # each insert that the account exists (tasks/batches.py), so no invoice outlives it.
        await account.delete()
        await InvoiceDocument.find(InvoiceDocument.account_id == str(account.id)).delete()
        return True

    @strawberry.mutation(
        description="Cancel a scan, by taskId or by accountId (the account's running scan). "
        "Invoices found so far are kept. Cancelling a finished task returns it unchanged."
    )
    async def cancel_scan(
        self,
        info: Info[Context, None],
        task_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The task to cancel.")
        ] = None,
        account_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Cancel this account's running scan."),
        ] = None,
    ) -> ScanTask:
        principal = info.context.user()
        if (task_id is None) == (account_id is None):
            raise BadInput("Give exactly one of taskId and accountId", argument="taskId")
        if task_id is not None:
            task = await task_for(principal, task_id)
        else:
            task = await latest_task_of(await account_for(principal, str(account_id)))
        cancelled = await cancel_task(task, info.context.redis)
        return ScanTask.from_document(cancelled)

    @strawberry.mutation(description="ADMIN: cancel every PENDING and PROGRESS task.")
    async def cancel_all_tasks(self, info: Info[Context, None]) -> CancelAllTasksPayload:
        info.context.admin()
        return CancelAllTasksPayload(cancelled=await cancel_active_tasks(None, info.context.redis))
