"""The Strawberry schema."""

from __future__ import annotations

from graph.errors import Schema
from graph.limits import QUERY_LIMITS
from graph.metrics import OperationMetrics
from graph.mutations import Mutation
from graph.queries import Query
from graph.subscriptions import Subscription

schema = Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=[*QUERY_LIMITS, OperationMetrics],
)
