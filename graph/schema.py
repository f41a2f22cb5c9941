"""The Strawberry schema."""

from __future__ import annotations

import strawberry

from graph.errors import ErrorCodes
from graph.mutations import Mutation
from graph.queries import Query
from graph.subscriptions import Subscription

schema = strawberry.Schema(
    query=Query, mutation=Mutation, subscription=Subscription, extensions=[ErrorCodes]
)
