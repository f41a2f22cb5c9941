"""An executor that leaves no reference cycle behind, so each request is freed when it ends.

graphql-core gives resolvers the executor's own bound methods (`GraphQLResolveInfoHelpers`
with `gather_async_work` and `track_async_work`) and keeps them on the executor: a cycle. Every
request's executor, and all it reaches (the context, Starlette's request and response,
uvicorn's request cycle), then waited for the garbage collector. With the API's collection
threshold (graph/app.py), one collection freed some 40,000 such objects in 60 ms, a pause that
every request in flight waited out (BENCHMARKS.md, startScan while 8 scans run). The helpers
here reach the executor through a weak reference, so reference counting frees it at once.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Sequence
from typing import Any

from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class AcyclicExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor with resolver helpers that do not hold it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.async_helpers = _helpers_of(self)


def _helpers_of(executor: StrawberryGraphQLCoreExecutionContext) -> GraphQLResolveInfoHelpers:
    # Resolvers only run while the execution, which holds the executor, is under way.
    ref = weakref.ref(executor)

    def alive() -> StrawberryGraphQLCoreExecutionContext:
        held = ref()
        if held is None:
            raise RuntimeError("a resolver outlived its GraphQL execution")
        return held

    def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        return alive().gather_async_work(values)

    def track(values: Sequence[Any]) -> None:
        alive().track_async_work(values)

    return GraphQLResolveInfoHelpers(gather=gather, track=track)
