"""Decide which mails carry invoices and read their fields.

A first, deliberately plain finder: keywords in the subject or attachment names pick the
candidates, regular expressions and price-parser read the number and total. One invoice per
invoice-like PDF or XML attachment, else one for the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser

from price_parser import Price

from models.enums import InvoiceSource
from scanner.messages import ParsedMessage

_INVOICE_WORDS = re.compile(
    r"\b(invoice|receipt|rechnung|quittung|facture|factura|recibo)\b", re.IGNORECASE
)
_NOT_INVOICE_WORDS = re.compile(
    r"\b(quote|quotation|angebot|devis|presupuesto|newsletter|webinar)\b", re.IGNORECASE
)
_NUMBER = re.compile(
    r"(?:invoice|rechnung|facture|factura)\s*(?:no\.?|number|nr\.?|nummer|n°|nº|#)?\s*[:#]?\s*"
    r"([A-Z0-9][A-Z0-9\-/]{2,})",
    re.IGNORECASE,
)
_TOTAL_LINE = re.compile(r"^.*\b(total|gesamt|betrag|montant|importe)\b.*$", re.IGNORECASE | re.M)
_INVOICE_FILE_TYPES = {"application/pdf", "application/xml", "text/xml"}


@dataclass(frozen=True, slots=True)
class FoundInvoice:
    """One invoice read from a message; `part_key` tells apart invoices of the same message."""

    part_key: str
    source: InvoiceSource
    attachment_name: str | None
    vendor: str | None
    invoice_number: str | None
    total_amount: Decimal | None
    currency: str | None


def find_invoices(message: ParsedMessage) -> list[FoundInvoice]:
    """The invoices `message` carries, possibly none."""
    if _NOT_INVOICE_WORDS.search(message.subject):
        return []
    subject_says_invoice = bool(_INVOICE_WORDS.search(message.subject))
    body = message.text_body or _html_to_text(message.html_body)
    vendor = _vendor(message.sender)
    found = [
        FoundInvoice(
            part_key=f"attachment:{index}:{attachment.filename}",
            source=_attachment_source(attachment.filename, attachment.payload),
            attachment_name=attachment.filename,
            vendor=vendor,
            invoice_number=_invoice_number(message.subject, body),
            total_amount=None,
            currency=None,
        )
        for index, attachment in enumerate(message.attachments)
        if _is_invoice_file(attachment.filename, attachment.content_type, subject_says_invoice)
    ]
    if found or not subject_says_invoice:
        return found
    price = _total(body)
    return [
        FoundInvoice(
            part_key="body",
            source=InvoiceSource.HTML if not message.text_body else InvoiceSource.TEXT,
            attachment_name=None,
            vendor=vendor,
            invoice_number=_invoice_number(message.subject, body),
            total_amount=price.amount if price else None,
            currency=iso_currency(price.currency) if price else None,
        )
    ]


# Symbols that name one currency unambiguously enough for a first pass; "$" alone is read as USD.
_CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "US$": "USD", "£": "GBP", "¥": "JPY", "CHF": "CHF"}


def iso_currency(raw: str | None) -> str | None:
    """An ISO 4217 code for a currency symbol or code as printed, or None."""
    if not raw:
        return None
    raw = raw.strip()
    if re.fullmatch(r"[A-Za-z]{3}", raw):
        return raw.upper()
    return _CURRENCY_SYMBOLS.get(raw)


def _is_invoice_file(filename: str, content_type: str, subject_says_invoice: bool) -> bool:
    if content_type not in _INVOICE_FILE_TYPES and not filename.lower().endswith((".pdf", ".xml")):
        return False
    return subject_says_invoice or bool(_INVOICE_WORDS.search(filename.replace("_", " ")))


def _attachment_source(filename: str, payload: bytes) -> InvoiceSource:
    if not filename.lower().endswith(".xml"):
        return InvoiceSource.PDF
    # CII (the XML of Factur-X/ZUGFeRD) names its root CrossIndustryInvoice; anything else is UBL.
    return InvoiceSource.FACTURX if b"CrossIndustryInvoice" in payload[:4096] else InvoiceSource.UBL


def _invoice_number(subject: str, body: str) -> str | None:
    for text in (subject, body):
        match = _NUMBER.search(text)
        if match:
            return match.group(1)
    return None


def _total(body: str) -> Price | None:
    for line in _TOTAL_LINE.finditer(body):
        price = Price.fromstring(line.group(0))
        if price.amount is not None:
            return price
    return None


def _vendor(sender: str) -> str | None:
    name = sender.split("<", 1)[0].strip().strip('"')
    return name or None


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _html_to_text(html: str) -> str:
    collector = _TextCollector()
    collector.feed(html)
    return "\n".join(part.strip() for part in collector.parts if part.strip())
