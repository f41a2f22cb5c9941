"""All fields of an invoice that is only text (a PDF's words, an HTML or plain-text body), each
with its confidence."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.extraction.amounts import MAX_AMOUNT
from scanner.extraction.currency import codes_in, iso_currency
from scanner.extraction.date_fields import find_dates
from scanner.extraction.dates import day_first
from scanner.extraction.evidence import Candidate, decide
from scanner.extraction.labels import document_patterns
from scanner.extraction.language import language_of
from scanner.extraction.layout import Layout
from scanner.extraction.numbers import find_number
from scanner.extraction.places import labels_of, places
from scanner.extraction.record import Confidence, Found, InvoiceFields
from scanner.extraction.totals import Total, document_currency, find_total
from scanner.extraction.vendor import find_vendor

TOTAL_CURRENCY, LABELLED_CURRENCY, FREQUENT_CURRENCY, ONLY_CODE = 0.95, 0.9, 0.7, 0.5
# A credit note's title is read in its first rows.
_TITLE_ROWS = 25


@dataclass(frozen=True, slots=True)
class TextHints:
    """What the mail around a text tells about it."""

    subject: str = ""
    tld: str | None = None  # the sender's top-level domain, for "$" and date order
    filename: str = ""
    sender: str = ""  # the From header of the mail that sent the document
    body: bool = False  # the text is the mail's own body, not an attachment


def read_fields(layout: Layout, hints: TextHints) -> InvoiceFields:
    """Vendor, number, dates, total and currency of the invoice laid out in `layout`."""
    text = "\n".join(layout.lines)
    language = language_of(text)
    codes = codes_in(text)
    total = find_total(layout)
    currency = _currency(layout, total, hints, codes, language)
    order = day_first(text, language, currency.value if currency else None, hints.tld)
    issue, due = find_dates(layout, language, order)
    number = find_number(layout, hints.subject, hints.filename)
    vendor = find_vendor(layout, hints.sender, body=hints.body)
    amount = total.value.amount if total else None
    if amount is not None and amount > 0 and is_credit_note(layout):
        amount = -amount  # a credit note flows back to the buyer, as its e-invoice says
    if amount is not None and abs(amount) >= MAX_AMOUNT:
        amount, total = None, None
    return InvoiceFields(
        vendor=_value(vendor),
        invoice_number=_value(number),
        issue_date=_value(issue),
        due_date=_value(due),
        total_amount=amount,
        currency=_value(currency),
        confidence=Confidence(
            vendor=_score(vendor),
            invoice_number=_score(number),
            issue_date=_score(issue),
            due_date=_score(due),
            total_amount=_score(total),
            currency=_score(currency),
        ),
    )


def is_credit_note(layout: Layout) -> bool:
    """Whether the document's title names a credit note ("Credit note", "Gutschrift", "Avoir").
    The first title in its head decides: an invoice listing a credit applied stays an invoice."""
    documents = document_patterns()
    for row in layout.rows[:_TITLE_ROWS]:
        first = row.cells[0].text
        if len(first.split()) > 6:
            continue
        credit = documents["credit_note"].match(first)
        if credit or documents["invoice"].match(first):
            return credit is not None
    return False


def _currency(
    layout: Layout,
    total: Found[Total] | None,
    hints: TextHints,
    codes: frozenset[str],
    language: str,
) -> Found[str] | None:
    """The currency printed by the total, declared by a currency label ("Währung: EUR"),
    printed most often next to figures, or the one ISO code the document prints."""
    candidates = []
    if total is not None and total.value.currency:
        iso = iso_currency(total.value.currency, hints.tld, codes, language)
        if iso:
            candidates.append(Candidate(iso, TOTAL_CURRENCY))
    for at in labels_of(layout, frozenset({"currency"})):
        for place in places(layout, at):
            iso = _currency_in(place.text, hints, codes, language)
            if iso:
                candidates.append(Candidate(iso, LABELLED_CURRENCY * place.weight, at.row))
                break
    printed = document_currency(layout)
    iso = iso_currency(printed, hints.tld, codes, language) if printed else None
    if iso:
        candidates.append(Candidate(iso, FREQUENT_CURRENCY))
    if not candidates and len(codes) == 1:
        candidates.append(Candidate(next(iter(codes)), ONLY_CODE))
    return decide(candidates)


def _currency_in(text: str, hints: TextHints, codes: frozenset[str], language: str) -> str | None:
    for word in text.replace(":", " ").split()[:3]:
        iso = iso_currency(word.strip("().,"), hints.tld, codes, language)
        if iso:
            return iso
    return None


def _value[T](found: Found[T] | None) -> T | None:
    return found.value if found is not None else None


def _score(found: Found[object] | None) -> float | None:
    return found.confidence if found is not None else None
