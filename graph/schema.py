"""The Strawberry schema."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import DisableIntrospection, SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.schema import StreamResult
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.execution import PreExecutionError

from core.settings import settings
from graph.document_cache import DocumentCache
from graph.errors import present
from graph.extension_runner import LeanExtensionsRunner
from graph.limits import QUERY_LIMITS, refused_request
from graph.metrics import OperationMetrics
from graph.mutations import Mutation
from graph.queries import Query
from graph.shared_events import SharedEventExecutor
from graph.subscriptions import Subscription


class Schema(strawberry.Schema):
    """Strawberry's schema with this service's error presentation (graph/errors.py), an
    extension runner that skips hooks nobody has (graph/extension_runner.py), and a refusal of
    malformed requests and query texts over MAX_QUERY_LENGTH before anything parses or hashes
    them, for HTTP (`execute`) and websockets (`subscribe` and `stream`) alike. Strawberry calls
    both with keyword arguments after the query."""

    async def execute(self, query: str | None, *args: Any, **kwargs: Any) -> ExecutionResult:
        refusal = refused_request(
            query, kwargs.get("variable_values"), kwargs.get("operation_name")
        )
        if refusal is not None:
            return refusal
        return await super().execute(query, *args, **kwargs)

    async def stream(self, query: str | None = None, *args: Any, **kwargs: Any) -> StreamResult:
        refusal = refused_request(
            query, kwargs.get("variable_values"), kwargs.get("operation_name")
        )
        if refusal is not None:
            return _only(refusal)
        return await super().stream(query, *args, **kwargs)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            present(error)

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return LeanExtensionsRunner(execution_context, extensions)


async def _only(result: PreExecutionError) -> AsyncGenerator[PreExecutionError]:
    yield result


schema = Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=[
        *QUERY_LIMITS,
        # Clients send the same few documents over and over: parse and validate each once,
        # after the expansion budget and the depth and alias limits.
        DocumentCache,
        OperationMetrics,
        # Off in production unless GRAPHQL_INTROSPECTION: strangers need not see the admin types.
        *([] if settings.introspection_enabled else [DisableIntrospection]),
    ],
    execution_context_class=SharedEventExecutor,
)
