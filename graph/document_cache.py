"""Parse and validate each GraphQL document once, in a cache bounded by the bytes it holds, with
the expansion budget (graph/document_cost.py) checked before any validation rule walks it.

Clients send the same few documents over and over, and validation is most of what a small
request costs. Strawberry's ParserCache and ValidationCache kept 256 entries keyed by the whole
query text: 256 texts of 15 MiB each (a comment is no token) held gigabytes. Here the key is a
digest of the text, and each entry is charged an estimate of what its document holds (the text,
which the parsed document's locations keep, and about 700 bytes a token, measured with
tracemalloc on graphql-core 3.3), so the cache never holds more than
GRAPHQL_DOCUMENT_CACHE_BYTES, whatever the documents. A refused document is never stored: a
variant of it costs one linear walk again, never a validation.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from cachetools import LRUCache
from graphql.error import GraphQLError
from graphql.language import DocumentNode
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from core.settings import settings
from graph.document_cost import document_cost
from graph.limits import over_limits

BYTES_PER_TOKEN = 700


@dataclass(frozen=True)
class Checked:
    """A parsed document and its validation errors (none: it may run)."""

    document: DocumentNode
    errors: tuple[GraphQLError, ...]
    size: int


type Key = tuple[bytes, tuple[type, ...]]


def _size_of(entry: Checked) -> int:
    return entry.size


CACHE: LRUCache[Key, Checked] = LRUCache(
    maxsize=settings.GRAPHQL_DOCUMENT_CACHE_BYTES, getsizeof=_size_of
)


def estimated_size(query: str, document: DocumentNode) -> int:
    """Bytes `document`, parsed from `query`, holds: the text and every token (all are kept,
    linked from the document's location)."""
    tokens = 0
    token = document.loc.start_token if document.loc else None
    while token is not None:
        tokens += 1
        token = token.next
    return sys.getsizeof(query) + BYTES_PER_TOKEN * tokens


class DocumentCache(SchemaExtension):
    """Replaces Strawberry's parsing with a cache hit when there is one, and its validation
    with: the expansion budget first, then the rules, once per document."""

    def __init__(self) -> None:
        self.key: Key | None = None
        self.hit: Checked | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query:  # none: Strawberry answers MissingQueryError
            digest = hashlib.sha256(context.query.encode("utf-8", "surrogatepass")).digest()
            self.key = (digest, tuple(context.validation_rules))
            self.hit = CACHE.get(self.key)
            if self.hit is not None:
                context.graphql_document = self.hit.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if self.hit is not None:
            context.pre_execution_errors = list(self.hit.errors)
        elif document is not None and context.pre_execution_errors is None:
            context.pre_execution_errors = self._check(document)
        yield

    def _check(self, document: DocumentNode) -> list[GraphQLError]:
        context = self.execution_context
        refusals = over_limits(document_cost(document))
        if refusals:
            return refusals
        errors = validate_document(context.schema._schema, document, context.validation_rules)
        if self.key is not None and context.query is not None:
            entry = Checked(document, tuple(errors), estimated_size(context.query, document))
            if entry.size <= CACHE.maxsize:
                CACHE[self.key] = entry
        return errors
