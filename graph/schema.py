"""The Strawberry schema."""

from __future__ import annotations

import functools

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext

from core.settings import settings
from graph.errors import present
from graph.extension_runner import LeanExtensionsRunner
from graph.limits import QUERY_LIMITS
from graph.metrics import OperationMetrics
from graph.mutations import Mutation
from graph.queries import Query
from graph.shared_events import SharedEventExecutor
from graph.subscriptions import Subscription


class Schema(strawberry.Schema):
    """Strawberry's schema with this service's error presentation (graph/errors.py) and an
    extension runner that skips hooks nobody has (graph/extension_runner.py)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            present(error)

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return LeanExtensionsRunner(execution_context, extensions)


schema = Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=[
        # Clients send the same few documents over and over: parse and validate each once.
        functools.partial(ParserCache, maxsize=256),
        functools.partial(ValidationCache, maxsize=256),
        *QUERY_LIMITS,
        OperationMetrics,
        # Off in production unless GRAPHQL_INTROSPECTION: strangers need not see the admin types.
        *([] if settings.introspection_enabled else [DisableIntrospection]),
    ],
    execution_context_class=SharedEventExecutor,
)
