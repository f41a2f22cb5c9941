"""Commercial documents the corpus generates (invoices, receipts, quotes) and their ground truth.

One `InvoiceDoc` is printed to a PDF, to the HTML or text of a mail body, or written as CII/UBL
XML; its totals are computed once here, so every carrier of the same document agrees.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from decimal import Decimal

from tests.support.corpus.formats import (
    LABELS,
    MONEY,
    ORDER_LABELS,
    QUOTE_LABELS,
    RECEIPT_LABELS,
    Labels,
    MoneyStyle,
    format_date,
)
from tests.support.corpus.model import ExpectedInvoice

# The mailbox belongs to the accounts team of a design studio with offices in four countries;
# each office is billed by its local suppliers.
BUYERS = {
    "en": ("Keller Design Ltd", "21 Cowcross Street", "London EC1M 6DR", "United Kingdom"),
    "de": ("Keller Design GmbH", "Torstraße 112", "10119 Berlin", "Deutschland"),
    "fr": ("Keller Design SARL", "14 rue de la République", "69002 Lyon", "France"),
    "es": ("Keller Diseño S.L.", "Calle de Colón 18", "46004 Valencia", "España"),
}

# Second wordings for the same fields, so no two vendors' layouts read exactly alike.
ALT_LABELS = {
    "en": Labels(
        "Invoice",
        "Invoice #",
        "Date",
        "Payment due",
        "Billed to",
        "Item",
        "Quantity",
        "Rate",
        "Line total",
        "Net amount",
        "Tax",
        "Amount due",
    ),
    "de": Labels(
        "Rechnung",
        "Rechnungs-Nr.",
        "Datum",
        "Zahlbar bis",
        "An",
        "Leistung",
        "Anzahl",
        "Preis",
        "Summe",
        "Nettobetrag",
        "USt.",
        "Rechnungsbetrag",
    ),
    "fr": Labels(
        "Facture",
        "Facture n°",
        "Date",
        "Échéance",
        "Client",
        "Description",
        "Quantité",
        "PU HT",
        "Total HT",
        "Total HT",
        "TVA",
        "Net à payer",
    ),
    "es": Labels(
        "Factura",
        "Número de factura",
        "Fecha",
        "Vencimiento",
        "Cliente",
        "Descripción",
        "Unidades",
        "Precio",
        "Total",
        "Base imponible",
        "IVA",
        "Total factura",
    ),
}


@dataclass(frozen=True)
class Seller:
    """The issuer as its documents print it; `name` is the vendor in the ground truth.

    `lang`, `money`, `date_style` and `tax` are how this seller usually writes its documents.
    """

    name: str
    lang: str
    address: tuple[str, str]
    country: str
    vat_id: str
    email: str
    money: str
    date_style: str
    tax: str
    footer: tuple[str, ...] = ()

    @property
    def sender(self) -> str:
        """The From header most of its mail carries: the company name as display name."""
        return f'"{self.name}" <{self.email}>'


@dataclass(frozen=True)
class Item:
    """One line of a document."""

    description: str
    quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class InvoiceDoc:
    """An invoice, receipt or quotation: what is printed on it and what it adds up to.

    `kind` is "invoice", "receipt" (paid already: no due date), "quote" or "order" (the last two
    are not invoices: they carry totals but bill nothing). `variant` picks the
    second wording of the labels; `tax_label` overrides the language's name of the tax.
    """

    lang: str
    kind: str
    seller: Seller
    number: str
    issued: datetime.date
    due: datetime.date | None
    money: str
    date_style: str
    lines: tuple[Item, ...]
    tax_rate: Decimal
    variant: int = 0
    tax_label: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def style(self) -> MoneyStyle:
        return MONEY[self.money]

    @property
    def currency(self) -> str:
        return self.style.currency

    def amount(self, item: Item) -> Decimal:
        """A line's amount, rounded as the line is printed."""
        return self.style.round(item.quantity * item.unit_price)

    @property
    def subtotal(self) -> Decimal:
        return sum((self.amount(item) for item in self.lines), Decimal(0))

    @property
    def tax(self) -> Decimal:
        return self.style.round(self.subtotal * self.tax_rate / 100)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax

    @property
    def labels(self) -> Labels:
        """The labels in the document's language, with the kind's title and field names."""
        base = (ALT_LABELS if self.variant else LABELS)[self.lang]
        base = replace(base, tax=self.tax_label or base.tax)
        if self.kind == "receipt":
            title, number, date, total = RECEIPT_LABELS[self.lang]
            return replace(base, title=title, number=number, date=date, total=total)
        if self.kind in ("quote", "order"):
            table = QUOTE_LABELS if self.kind == "quote" else ORDER_LABELS
            title, number, date, due = table[self.lang]
            return replace(base, title=title, number=number, date=date, due=due)
        return base

    def money_text(self, value: Decimal) -> str:
        return self.style.format(value)

    def date_text(self, day: datetime.date) -> str:
        return format_date(day, self.date_style)

    def expected(self, source: str, attachment_name: str | None) -> ExpectedInvoice:
        """The ground truth of this document carried as `source`."""
        return ExpectedInvoice(
            source=source,
            attachment_name=attachment_name,
            vendor=self.seller.name,
            invoice_number=self.number,
            issue_date=self.issued,
            due_date=self.due,
            total_amount=self.total,
            currency=self.currency,
        )
