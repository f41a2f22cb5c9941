"""The corpus's record types: one mail, and the invoices a perfect scanner would read from it."""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass

CATEGORIES = ("invoice", "not_invoice", "hostile")
LANGUAGES = ("en", "de", "fr", "es")
# The values of models.enums.InvoiceSource, spelled out so the corpus needs no project import.
SOURCES = ("FACTURX", "UBL", "PDF", "HTML", "TEXT")


@dataclass(frozen=True)
class ExpectedInvoice:
    """One invoice as printed: the fields a reader would copy from the document.

    `attachment_name` is the attachment's filename (also inside a forwarded message), None for an
    invoice in the mail body. `total_amount` is the grand total payable, tax included.
    """

    source: str
    attachment_name: str | None
    vendor: str | None
    invoice_number: str | None
    issue_date: datetime.date | None
    due_date: datetime.date | None
    total_amount: decimal.Decimal | None
    currency: str | None


@dataclass(frozen=True)
class CorpusMail:
    """One complete RFC 5322 message with its ground truth.

    `name` starts with the language of the mail's text (en, de, fr, es), then the carrier.
    `unreadable` is True when a scan must count the mail as an error instead of reading it.
    """

    name: str
    raw: bytes
    category: str
    expected: tuple[ExpectedInvoice, ...]
    unreadable: bool = False

    @property
    def language(self) -> str:
        """The language tag the name starts with."""
        return self.name.split("-", 1)[0]
