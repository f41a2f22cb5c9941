"""The lean extension runner skips only hooks that no extension defines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.execution import ExecutionResult
from strawberry.types.graphql import OperationType

from graph.extension_runner import LeanExtensionsRunner
from graph.schema import schema


class Reporting(SchemaExtension):
    def get_results(self) -> dict[str, Any]:
        return {"reported": 1}


class Hooked(SchemaExtension):
    seen: list[object] = []

    def on_stream_result(self, result: Any) -> Iterator[None]:
        Hooked.seen.append(result)
        yield


class Quiet(SchemaExtension):
    pass


def context() -> ExecutionContext:
    return ExecutionContext(
        query="{ __typename }", schema=schema, allowed_operations=OperationType.__members__.values()
    )


async def test_extensions_that_report_results_are_asked() -> None:
    ctx = context()
    ctx.extensions_results["own"] = 2
    runner = LeanExtensionsRunner(ctx, [Quiet(), Reporting()])
    assert await runner.get_extensions_results(ctx) == {"reported": 1, "own": 2}


async def test_stream_result_hooks_run_when_an_extension_has_one() -> None:
    result = ExecutionResult(data={"a": 1}, errors=None)
    async with LeanExtensionsRunner(context(), [Quiet(), Hooked()]).on_stream_result(result):
        pass
    assert Hooked.seen == [result]
    async with LeanExtensionsRunner(context(), [Quiet()]).on_stream_result(result):
        pass
    assert Hooked.seen == [result]


def test_the_schema_runs_its_extensions_with_the_lean_runner() -> None:
    runner = schema.create_extensions_runner(context(), schema.get_extensions())
    assert isinstance(runner, LeanExtensionsRunner)
