"""Query resolvers."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from graph.admin import ScanningStats, SystemHealth, scanning_stats, system_health
from graph.context import Context
from graph.lookups import account_for, task_for
from graph.pagination import (
    InvoiceConnection,
    InvoiceEdge,
    Page,
    ScanTaskConnection,
    ScanTaskEdge,
    fetch_page,
)
from graph.types import EmailAccount, Invoice, ScanTask, User
from models import EmailAccount as EmailAccountDocument
from models import Invoice as InvoiceDocument
from models import ScanTask as ScanTaskDocument
from models.enums import ACTIVE_STATUSES, TaskStatus


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
        return ScanTask.from_document(latest) if latest else None

    @strawberry.field(description="One task of the caller's (any task for an admin).")
    async def task(
        self,
        info: Info[Context, None],
        task_id: Annotated[strawberry.ID, strawberry.argument(description="The task id.")],
    ) -> ScanTask | None:
        task = await task_for(info.context.user(), task_id)
        return ScanTask.from_document(task)

    @strawberry.field(description="The caller's tasks, newest first, optionally by status.")
    async def my_tasks(
        self,
        info: Info[Context, None],
        status: Annotated[
            list[TaskStatus] | None, strawberry.argument(description="Only these statuses.")
        ] = None,
        first: Annotated[int, strawberry.argument(description="Page size, 1..100.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="The endCursor of the previous page.")
        ] = None,
    ) -> ScanTaskConnection:
        where: dict[str, object] = {"user_id": info.context.user().user_id}
        if status:
            where["status"] = {"$in": [s.value for s in status]}
        return task_connection(await fetch_page(ScanTaskDocument, where, first, after))

    @strawberry.field(description="One account's tasks, newest first.")
    async def task_history(
        self,
        info: Info[Context, None],
        account_id: Annotated[strawberry.ID, strawberry.argument(description="The account.")],
        first: Annotated[int, strawberry.argument(description="Page size, 1..100.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="The endCursor of the previous page.")
        ] = None,
    ) -> ScanTaskConnection:
        account = await account_for(info.context.user(), account_id)
        where = {"account_id": str(account.id)}
        return task_connection(await fetch_page(ScanTaskDocument, where, first, after))

    @strawberry.field(
        description="The caller's invoices (of one account, when given), newest first."
    )
    async def invoices(
        self,
        info: Info[Context, None],
        account_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this account's.")
        ] = None,
        first: Annotated[int, strawberry.argument(description="Page size, 1..100.")] = 50,
        after: Annotated[
            str | None, strawberry.argument(description="The endCursor of the previous page.")
        ] = None,
        needs_review: Annotated[
            bool | None,
            strawberry.argument(
                description="true: only the invoices a person should check; false: only the "
                "others; null: all."
            ),
        ] = None,
    ) -> InvoiceConnection:
        principal = info.context.user()
        where: dict[str, object] = {"user_id": principal.user_id}
        if account_id is not None:
            where["account_id"] = str((await account_for(principal, account_id)).id)
        if needs_review is not None:
            # Invoices stored before needs_review was kept have none: they count as false.
            where["needs_review"] = True if needs_review else {"$ne": True}
        page = await fetch_page(InvoiceDocument, where, first, after)
        return InvoiceConnection(
            edges=[
                InvoiceEdge(cursor=cursor, node=Invoice.from_document(doc))
                for cursor, doc in zip(page.cursors, page.documents, strict=True)
            ],
            page_info=page.page_info,
            total_count=page.total_count,
        )

    @strawberry.field(description="ADMIN: statistics over every task, computed in MongoDB.")
    async def scanning_stats(self, info: Info[Context, None]) -> ScanningStats:
        info.context.admin()
        return await scanning_stats()

    @strawberry.field(description="ADMIN: every PENDING and PROGRESS task, newest first.")
    async def active_tasks(self, info: Info[Context, None]) -> list[ScanTask]:
        info.context.admin()
        active = {"status": {"$in": [s.value for s in ACTIVE_STATUSES]}}
        docs = await ScanTaskDocument.find(active).sort("-created_at").to_list()
        return [ScanTask.from_document(doc) for doc in docs]

    @strawberry.field(description="ADMIN: Redis, MongoDB, workers and the queue.")
    async def system_health(self, info: Info[Context, None]) -> SystemHealth:
        info.context.admin()
        return await system_health(info.context.redis, info.context.mongo)


def task_connection(page: Page[ScanTaskDocument]) -> ScanTaskConnection:
    return ScanTaskConnection(
        edges=[
            ScanTaskEdge(cursor=cursor, node=ScanTask.from_document(doc))
            for cursor, doc in zip(page.cursors, page.documents, strict=True)
        ],
        page_info=page.page_info,
        total_count=page.total_count,
    )
