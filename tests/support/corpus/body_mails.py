"""Invoices and receipts in the mail body: HTML-only mails, plain-text mails, and both.

Ground truth source: "HTML" for a mail with an HTML body (alone, or with a text/plain
alternative: the HTML receipt is the richer one, and the scanner reads it first), "TEXT" for a
mail whose only body is plain text.
"""

from __future__ import annotations

from tests.support.corpus.body_templates import (
    invoice_html,
    invoice_text,
    receipt_html,
    ride_html,
    ticket_text,
)
from tests.support.corpus.data import Entry, document, entries
from tests.support.corpus.documents import InvoiceDoc
from tests.support.corpus.mime import as_bytes, new_message, sent_on
from tests.support.corpus.model import CorpusMail


def _html(entry: Entry, doc: InvoiceDoc) -> str | None:
    match entry.get("html"):
        case None:
            return None
        case "receipt":
            return receipt_html(doc, entry.get("card", "Visa •••• 4242"))
        case "ride":
            start, end = entry["route"]
            return ride_html(doc, (start, end))
        case "invoice":
            return invoice_html(doc, entry.get("pay_link"))
    raise ValueError(f"{entry['name']}: unknown html layout {entry['html']!r}")


def _text(entry: Entry, doc: InvoiceDoc) -> str | None:
    match entry.get("text"):
        case None:
            return None
        case "invoice":
            return invoice_text(doc)
        case "ticket":
            return ticket_text(doc)
    raise ValueError(f"{entry['name']}: unknown text layout {entry['text']!r}")


def body_mail(entry: Entry, category: str = "invoice") -> CorpusMail:
    """The entry as text/html, text/plain or multipart/alternative mail."""
    doc = document(entry)
    when = sent_on(doc.issued, entry["name"], doc.seller.country)
    sender = entry.get("sender", doc.seller.sender)
    msg = new_message(entry["name"], sender, entry["subject"], when)
    html, text = _html(entry, doc), _text(entry, doc)
    if text is not None:
        msg.set_content(text)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    else:
        raise ValueError(f"{entry['name']}: neither html nor text")
    source = "HTML" if html is not None else "TEXT"
    expected = (doc.expected(source, None),) if category == "invoice" else ()
    return CorpusMail(entry["name"], as_bytes(msg), category, expected)


def body_invoice_mails() -> list[CorpusMail]:
    """The body invoices of data/body_invoices.toml."""
    return [body_mail(entry) for entry in entries("body_invoices")]
