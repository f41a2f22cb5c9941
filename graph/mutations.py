"""Mutation resolvers."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from core.errors import BadInput
from graph.accounts import add_account
from graph.context import Context
from graph.lookups import account_for
from graph.types import AddEmailAccountInput, EmailAccount, ScanTask, StartScanPayload
from models.enums import ScanType
from tasks.dispatch import start_scan
from tasks.progress import TaskState

MIN_MONTHS, MAX_MONTHS = 1, 24


@strawberry.type(description="Changes.")
class Mutation:
    @strawberry.mutation(description="Connect a mailbox; with verify, log in once first.")
    async def add_email_account(
        self,
        info: Info[Context, None],
        input: Annotated[AddEmailAccountInput, strawberry.argument(description="The mailbox.")],
    ) -> EmailAccount:
        account = await add_account(info.context.user(), input)
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
        account = await account_for(info.context.user(), account_id)
        if scan_type is ScanType.GROUPS and not account.group_addresses:
            raise BadInput("A GROUPS scan needs the account's groupAddresses", argument="scanType")
        task = await start_scan(account, scan_type, months, info.context.redis)
        state = ScanTask.from_state(TaskState.from_document(task))
        return StartScanPayload(
            message=f"Email scan started for {months} months",
            task_id=state.id,
            status=state.status,
            estimated_duration_seconds=state.estimated_duration_seconds,
            task=state,
        )
