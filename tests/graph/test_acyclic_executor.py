"""A finished GraphQL execution is freed by reference counting, not left for the collector."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from graph.acyclic_executor import AcyclicExecutor
from graph.schema import schema


@pytest.fixture
def executors(monkeypatch: pytest.MonkeyPatch) -> list[weakref.ref[AcyclicExecutor]]:
    """Weak references to every executor made meanwhile."""
    made: list[weakref.ref[AcyclicExecutor]] = []
    init = AcyclicExecutor.__init__

    def recording(self: AcyclicExecutor, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        made.append(weakref.ref(self))

    monkeypatch.setattr(AcyclicExecutor, "__init__", recording)
    return made


@pytest.fixture
def no_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def test_an_executor_is_freed_when_its_query_ends(
    executors: list[weakref.ref[AcyclicExecutor]], no_collector: None
) -> None:
    result = await schema.execute("{ __typename }")

    assert result.data == {"__typename": "Query"} and not result.errors
    assert len(executors) == 1
    assert executors[0]() is None  # freed without a garbage collection
