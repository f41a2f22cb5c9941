"""An invoice found in a mail, stored once per account, message and attachment."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from beanie import DecimalAnnotation, Document
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from models.email_account import utcnow
from models.enums import InvoiceSource


def invoice_key(account_id: str, message_id: str, part_key: str) -> str:
    """The invoice's `_id`: one per account, message and part, so storing it twice is a
    duplicate-key error instead of a second copy (and needs no extra unique index)."""
    digest = hashlib.sha256("\0".join((account_id, message_id, part_key)).encode())
    return digest.hexdigest()


class FieldConfidence(BaseModel):
    """How sure the scanner was of each field, 0..1; None where the field was not found.
    Invoices stored before confidences were kept have none."""

    vendor: float | None = None
    invoice_number: float | None = None
    issue_date: float | None = None
    due_date: float | None = None
    total_amount: float | None = None
    currency: float | None = None


class Invoice(Document):
    """The fields read from one invoice; `part_key` names the attachment ("body" for the body).

    Create with `Invoice.new(...)`, which derives the id from account, message and part.
    """

    id: str  # type: ignore[assignment]  # invoice_key(account_id, message_id, part_key)
    account_id: str
    user_id: str
    task_id: str
    message_id: str
    part_key: str
    folder: str
    subject: str
    sender: str
    received_at: datetime
    vendor: str | None = None
    invoice_number: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    total_amount: DecimalAnnotation | None = None  # stored as Decimal128, exact
    currency: str | None = None
    source: InvoiceSource
    attachment_name: str | None = None
    confidence: FieldConfidence = Field(default_factory=FieldConfidence)
    # A field missing or read below REVIEW_CONFIDENCE_THRESHOLD when stored; False for invoices
    # stored before it was kept.
    needs_review: bool = False
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "invoices"
        indexes = [
            IndexModel([("user_id", ASCENDING), ("created_at", DESCENDING)]),
            IndexModel([("account_id", ASCENDING), ("created_at", DESCENDING)]),
            IndexModel(
                [("user_id", ASCENDING), ("needs_review", ASCENDING), ("created_at", DESCENDING)]
            ),
        ]

    @classmethod
    def new(cls, **fields: Any) -> Invoice:
        """An invoice whose id is derived from its account, message and part."""
        key = invoice_key(fields["account_id"], fields["message_id"], fields["part_key"])
        return cls(id=key, **fields)
