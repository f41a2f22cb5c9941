"""Live task updates relayed from Redis pub/sub through broadcaster.

`taskProgress` listens first, then reads the stored snapshot and drops events older than it, so no
change falls between the two; it ends after a terminal status.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry.types import Info

from graph.context import Context
from graph.lookups import task_for
from graph.types import ScanTask
from tasks.progress import ALL_TASKS_CHANNEL, TaskState, task_channel, user_channel


@strawberry.type(description="Live updates.")
class Subscription:
    @strawberry.subscription(
        description="The task as it is now, then every change; completes after a terminal status."
    )
    async def task_progress(
        self,
        info: Info[Context, None],
        task_id: Annotated[strawberry.ID, strawberry.argument(description="The task to follow.")],
    ) -> AsyncGenerator[ScanTask]:
        principal = info.context.user()
        async with (
            info.context.subscriptions.slot(),
            info.context.broadcast.subscribe(task_channel(task_id)) as subscriber,
        ):
            state = TaskState.from_document(await task_for(principal, task_id))
            yield ScanTask.from_state(state)
            if state.status.is_terminal:
                return
            while True:
                event = await subscriber.get()
                update = TaskState.model_validate_json(event.message)
                if update.seq <= state.seq:
                    continue  # already in the snapshot or sent
                state = update
                yield ScanTask.from_state(state)
                if state.status.is_terminal:
                    return

    @strawberry.subscription(description="Every change of any of the caller's tasks, from now on.")
    async def my_task_updates(self, info: Info[Context, None]) -> AsyncGenerator[ScanTask]:
        principal = info.context.user()
        async with (
            info.context.subscriptions.slot(),
            info.context.broadcast.subscribe(user_channel(principal.user_id)) as subscriber,
        ):
            while True:
                event = await subscriber.get()
                yield ScanTask.from_state(TaskState.model_validate_json(event.message))

    @strawberry.subscription(description="ADMIN: every change of every task, from now on.")
    async def all_task_updates(self, info: Info[Context, None]) -> AsyncGenerator[ScanTask]:
        info.context.admin()
        async with (
            info.context.subscriptions.slot(),
            info.context.broadcast.subscribe(ALL_TASKS_CHANNEL) as subscriber,
        ):
            while True:
                event = await subscriber.get()
                yield ScanTask.from_state(TaskState.model_validate_json(event.message))
