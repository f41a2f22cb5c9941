"""The fields every reader returns, whatever it read them from."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class InvoiceFields:
    """The fields of one invoice as far as its source told them; None where it did not."""

    vendor: str | None = None
    invoice_number: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    total_amount: Decimal | None = None
    currency: str | None = None

    def or_else(self, other: InvoiceFields) -> InvoiceFields:
        """These fields, each missing one taken from `other`."""
        return replace(
            self,
            vendor=self.vendor or other.vendor,
            invoice_number=self.invoice_number or other.invoice_number,
            issue_date=self.issue_date or other.issue_date,
            due_date=self.due_date or other.due_date,
            total_amount=self.total_amount if self.total_amount is not None else other.total_amount,
            currency=self.currency or other.currency,
        )


class Unreadable(Exception):
    """A part that should hold an invoice but cannot be read; the message says why."""
