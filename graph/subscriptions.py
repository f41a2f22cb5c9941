"""Live task updates relayed from Redis pub/sub (graph/relay.py).

Each subscription listens first, then reads what it needs from the store, and drops any event
not newer (by `seq`) than what it already sent. After Redis comes back from an outage the relay
hands a Resync: the store is read again, so a terminal status published meanwhile still arrives.
`taskProgress` also reads the store again when its task has been silent for
SUBSCRIPTION_QUIET_REREAD_SECONDS, and ends after a terminal status.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncGenerator
from datetime import datetime
from functools import partial
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from core.errors import NotFound
from core.settings import settings
from graph.context import Context
from graph.lookups import task_for
from graph.relay import Quiet, Resync, Updates, shared_read
from graph.types import ScanTask
from models import ScanTask as ScanTaskDocument
from tasks.progress import ALL_TASKS_CHANNEL, TaskState, task_channel, user_channel

# Tasks re-read after an outage, at most: the active ones and those that ended meanwhile.
RESYNC_LIMIT = 500
# How many tasks' last sent `seq` a stream remembers, to drop stale or repeated events.
REMEMBERED_TASKS = 10_000
# Recent events whose GraphQL object is shared between subscribers.
SHARED_TYPES = 1024


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
            info.context.subscriptions.slot(principal.user_id),
            info.context.relay.updates(
                task_channel(task_id), quiet_after=settings.SUBSCRIPTION_QUIET_REREAD_SECONDS
            ) as updates,
        ):
            state = TaskState.from_document(await task_for(principal, task_id))
            yield ScanTask.from_state(state)
            while not state.status.is_terminal:
                item = await updates.next()
                if isinstance(item, Quiet):
                    # Silent for long: read the store, in case the terminal event was lost with
                    # no Redis outage to tell (a worker dead between storing and publishing).
                    item = await shared_read(("task", task_id, "quiet"), partial(_stored, task_id))
                if isinstance(item, Resync):  # the owner was checked above and does not change
                    key = ("task", task_id, item.since)
                    item = await shared_read(key, partial(_stored, task_id))
                if item.seq > state.seq:
                    state = item
                    yield shared_type(state)

    @strawberry.subscription(description="Every change of any of the caller's tasks, from now on.")
    async def my_task_updates(self, info: Info[Context, None]) -> AsyncGenerator[ScanTask]:
        principal = info.context.user()
        async with (
            info.context.subscriptions.slot(principal.user_id),
            info.context.relay.updates(user_channel(principal.user_id)) as updates,
        ):
            async for state in _newer_states(updates, {"user_id": principal.user_id}):
                yield shared_type(state)

    @strawberry.subscription(description="ADMIN: every change of every task, from now on.")
    async def all_task_updates(self, info: Info[Context, None]) -> AsyncGenerator[ScanTask]:
        principal = info.context.admin()
        async with (
            info.context.subscriptions.slot(principal.user_id),
            info.context.relay.updates(ALL_TASKS_CHANNEL) as updates,
        ):
            async for state in _newer_states(updates, {}):
                yield shared_type(state)


_types: OrderedDict[int, tuple[TaskState, ScanTask]] = OrderedDict()


def shared_type(state: TaskState) -> ScanTask:
    """The GraphQL object of `state`, one for every subscriber handed the same event object,
    so graph/shared_events.py can execute the event once for all of them."""
    hit = _types.get(id(state))
    if hit is not None and hit[0] is state:
        return hit[1]
    converted = ScanTask.from_state(state)
    _types[id(state)] = (state, converted)
    if len(_types) > SHARED_TYPES:
        _types.popitem(last=False)
    return converted


async def _newer_states(updates: Updates, scope: dict[str, Any]) -> AsyncGenerator[TaskState]:
    """Each update not older than what was sent for its task; after a Resync, the tasks in
    `scope` (a store filter) that are active or ended since the connection was lost."""
    sent: OrderedDict[str, int] = OrderedDict()
    while True:
        item = await updates.next()
        if isinstance(item, Quiet):
            continue  # not asked for: these streams have no state of their own to re-read
        if isinstance(item, Resync):
            key = ("tasks", tuple(sorted(scope.items())), item.since)
            states = await shared_read(key, partial(_reread, scope, item.since))
        else:
            states = [item]
        for state in states:
            if state.seq > sent.get(state.id, -1):
                sent[state.id] = state.seq
                sent.move_to_end(state.id)
                if len(sent) > REMEMBERED_TASKS:
                    sent.popitem(last=False)
                yield state


async def _reread(scope: dict[str, Any], since: datetime) -> list[TaskState]:
    recent = {"$or": [{"active": True}, {"finished_at": {"$gte": since}}]}
    tasks = await ScanTaskDocument.find({**scope, **recent}).limit(RESYNC_LIMIT).to_list()
    return [TaskState.from_document(task) for task in tasks]


async def _stored(task_id: str) -> TaskState:
    task = await ScanTaskDocument.get(task_id)
    if task is None:
        raise NotFound("No such task")
    return TaskState.from_document(task)
