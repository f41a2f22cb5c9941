"""The Strawberry internals graph/document_cache.py relies on, checked so an upgrade that
changes them fails here, loudly, instead of validating every document twice or not at all."""

from __future__ import annotations

import inspect

from graphql import GraphQLSchema
from strawberry.schema import schema as strawberry_schema

from graph.schema import schema


def test_the_graphql_core_schema_is_schema_private_attribute() -> None:
    # Strawberry's own ValidationCache reads it the same way; there is no public accessor.
    assert isinstance(schema._schema, GraphQLSchema)


def test_strawberry_validates_only_when_no_extension_did() -> None:
    # DocumentCache.on_validate sets pre_execution_errors (an empty list when valid); Strawberry
    # must then skip its own validation (tests/graph/test_validation_cache.py counts the calls).
    source = inspect.getsource(strawberry_schema._run_validation)
    assert "execution_context.pre_execution_errors is None" in source
    assert callable(strawberry_schema.validate_document)


def test_strawberry_parses_only_when_no_extension_did() -> None:
    # DocumentCache.on_parse sets graphql_document on a hit; Strawberry must then not parse.
    source = inspect.getsource(strawberry_schema._parse_operation_document)
    assert "execution_context.graphql_document is not None" in source
    assert source.index("graphql_document is not None") < source.index("parse(")
