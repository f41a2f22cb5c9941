"""Strawberry's extension runner without its per-event work for hooks nobody has.

For every result of a subscription, Strawberry awaits each extension's `get_results` and builds
a context stack of `on_stream_result` hooks, whether or not an extension defines them. None of
this schema's extensions does, and at fan-out that was about a tenth of the API's CPU
(bench/fanout.py): a subscription event costs it once per subscriber. This runner asks only the
extensions that define `get_results`, and enters no hook stack when none defines
`on_stream_result`.
"""

from __future__ import annotations

import contextlib
from typing import Any, cast

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import StreamResultContextManager
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.types.execution import StreamExecutionResult
from strawberry.utils.await_maybe import await_maybe


class LeanExtensionsRunner(SchemaExtensionsRunner):
    """SchemaExtensionsRunner skipping the per-result hooks that no extension defines."""

    def __init__(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension] | None = None
    ) -> None:
        super().__init__(execution_context, extensions)
        self._reporting = [
            extension
            for extension in self.extensions
            if type(extension).get_results is not SchemaExtension.get_results
        ]
        self._stream_hooked = any(
            type(extension).on_stream_result is not SchemaExtension.on_stream_result
            for extension in self.extensions
        )

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for extension in self._reporting:
            data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data

    def on_stream_result(self, result: StreamExecutionResult) -> StreamResultContextManager:
        if self._stream_hooked:
            return super().on_stream_result(result)
        # Strawberry only enters it (`async with`); nullcontext does that and nothing else.
        return cast(StreamResultContextManager, contextlib.nullcontext())
