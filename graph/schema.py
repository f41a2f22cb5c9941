"""The Strawberry schema."""

from __future__ import annotations

from graph.errors import Schema
from graph.mutations import Mutation
from graph.queries import Query
from graph.subscriptions import Subscription

schema = Schema(query=Query, mutation=Mutation, subscription=Subscription)
