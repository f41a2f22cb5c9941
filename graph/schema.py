"""The Strawberry schema."""

from __future__ import annotations

import functools

from strawberry.extensions import ParserCache, ValidationCache

from graph.errors import Schema
from graph.limits import QUERY_LIMITS
from graph.metrics import OperationMetrics
from graph.mutations import Mutation
from graph.queries import Query
from graph.shared_events import SharedEventExecutor
from graph.subscriptions import Subscription

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
    ],
    execution_context_class=SharedEventExecutor,
)
