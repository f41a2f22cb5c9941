"""An invoice found in a mail, stored once per account, message and attachment."""

from __future__ import annotations

from datetime import date, datetime

from beanie import DecimalAnnotation, Document
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from models.email_account import utcnow
from models.enums import InvoiceSource


class Invoice(Document):
    """The fields read from one invoice; `part_key` names the attachment ("" for the body)."""

    account_id: str
    user_id: str
    task_id: str
    message_id: str
    part_key: str = ""
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
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "invoices"
        indexes = [
            IndexModel(
                [("account_id", ASCENDING), ("message_id", ASCENDING), ("part_key", ASCENDING)],
                name="one_invoice_per_part",
                unique=True,
            ),
            IndexModel([("user_id", ASCENDING), ("created_at", DESCENDING)]),
            IndexModel([("account_id", ASCENDING), ("created_at", DESCENDING)]),
        ]
