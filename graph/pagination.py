"""Relay connections with keyset cursors: newest first, stable while new rows arrive.

A cursor encodes the (created_at, _id) of the last row a page returned; the next page asks for rows
strictly older than it, so rows inserted meanwhile (newer) never shift a page.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import strawberry
from beanie import Document

from core.errors import BadInput
from graph.types import Invoice, ScanTask

MAX_FIRST = 100
# A cursor this API gives is about 110 characters; anything much longer is refused unread.
MAX_CURSOR_LENGTH = 200
# The decoded cursor, exactly as encode_cursor writes it: matched, never parsed as JSON, so a
# cursor of 100,000 nested brackets costs one failed match instead of a RecursionError.
CURSOR_SHAPE = re.compile(r'\["([0-9T:.+-]{10,40})", "([A-Za-z0-9_-]{1,64})"\]')


@strawberry.type(description="Where a page ends.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when more rows follow.")
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` for the next page; null on an empty page."
    )


@strawberry.type(description="A scan task and its cursor.")
class ScanTaskEdge:
    cursor: str = strawberry.field(description="This row's position.")
    node: ScanTask = strawberry.field(description="The task.")


@strawberry.type(description="A page of scan tasks, newest first.")
class ScanTaskConnection:
    edges: list[ScanTaskEdge] = strawberry.field(description="The rows of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")
    total_count: int = strawberry.field(description="Rows in the whole list.")


@strawberry.type(description="An invoice and its cursor.")
class InvoiceEdge:
    cursor: str = strawberry.field(description="This row's position.")
    node: Invoice = strawberry.field(description="The invoice.")


@strawberry.type(description="A page of invoices, newest first.")
class InvoiceConnection:
    edges: list[InvoiceEdge] = strawberry.field(description="The rows of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")
    total_count: int = strawberry.field(description="Rows in the whole list.")


@dataclass(frozen=True)
class Page[D: Document]:
    """Documents of one page, with what the connection types need."""

    documents: list[D]
    cursors: list[str]
    has_next_page: bool
    total_count: int

    @property
    def page_info(self) -> PageInfo:
        return PageInfo(
            has_next_page=self.has_next_page, end_cursor=self.cursors[-1] if self.cursors else None
        )


def encode_cursor(created_at: datetime, doc_id: object) -> str:
    raw = json.dumps([created_at.isoformat(), str(doc_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str, argument: str = "after") -> tuple[datetime, str]:
    """The (created_at, id) in `cursor`; a malformed one is BAD_USER_INPUT naming `argument`."""
    refusal = BadInput(f"{argument} is not a cursor this API gave", argument=argument)
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise refusal
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
        shape = CURSOR_SHAPE.fullmatch(raw)
        if shape is None:
            raise refusal
        return datetime.fromisoformat(shape[1]), shape[2]
    except (ValueError, binascii.Error) as exc:  # not base64, not ASCII, not a date
        raise refusal from exc


def check_first(first: int) -> None:
    if not 1 <= first <= MAX_FIRST:
        raise BadInput(f"first must be between 1 and {MAX_FIRST}", argument="first")


async def fetch_page[D: Document](
    model: type[D],
    where: dict[str, Any],
    first: int,
    after: str | None,
) -> Page[D]:
    """One page of `model` rows matching `where`, newest first (paged models have string ids)."""
    check_first(first)
    query = dict(where)
    if after is not None:
        created, doc_id = decode_cursor(after)
        query["$or"] = [
            {"created_at": {"$lt": created}},
            {"created_at": created, "_id": {"$lt": doc_id}},
        ]
    documents = await model.find(query).sort("-created_at", "-_id").limit(first + 1).to_list()
    total = await model.find(where).count()
    has_next = len(documents) > first
    documents = documents[:first]
    cursors = [encode_cursor(doc.created_at, doc.id) for doc in documents]
    return Page(documents, cursors, has_next, total)
