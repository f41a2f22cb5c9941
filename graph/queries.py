"""Query resolvers."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from graph.context import Context
from graph.lookups import account_for, task_for
from graph.types import EmailAccount, ScanTask, User
from models import EmailAccount as EmailAccountDocument
from models import ScanTask as ScanTaskDocument
from tasks.progress import TaskState


@strawberry.type(description="Reads.")
class Query:
    @strawberry.field(description="The authenticated caller.")
    def me(self, info: Info[Context, None]) -> User:
        return User.from_principal(info.context.user())

    @strawberry.field(description="The caller's email accounts, newest first.")
    async def email_accounts(self, info: Info[Context, None]) -> list[EmailAccount]:
        principal = info.context.user()
        docs = (
            await EmailAccountDocument.find(EmailAccountDocument.user_id == principal.user_id)
            .sort("-created_at")
            .to_list()
        )
        return [EmailAccount.from_document(doc) for doc in docs]

    @strawberry.field(description="The account's latest task, null if it has none.")
    async def scan_status(
        self,
        info: Info[Context, None],
        account_id: Annotated[strawberry.ID, strawberry.argument(description="The account.")],
    ) -> ScanTask | None:
        account = await account_for(info.context.user(), account_id)
        latest = (
            await ScanTaskDocument.find(ScanTaskDocument.account_id == str(account.id))
            .sort("-created_at")
            .first_or_none()
        )
        return ScanTask.from_state(TaskState.from_document(latest)) if latest else None

    @strawberry.field(description="One task of the caller's (any task for an admin).")
    async def task(
        self,
        info: Info[Context, None],
        task_id: Annotated[strawberry.ID, strawberry.argument(description="The task id.")],
    ) -> ScanTask | None:
        task = await task_for(info.context.user(), task_id)
        return ScanTask.from_state(TaskState.from_document(task))
