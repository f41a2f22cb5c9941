"""All fields of an invoice that is only text (a PDF's text, an HTML or plain-text body)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scanner.extraction.currency import codes_in, iso_currency
from scanner.extraction.date_fields import find_dates
from scanner.extraction.dates import day_first
from scanner.extraction.language import language_of
from scanner.extraction.numbers import find_number
from scanner.extraction.record import InvoiceFields
from scanner.extraction.totals import document_currency, find_total

# Invoices put their fields on the first pages; a longer text is a statement or a catalogue,
# and reading all of it would cost time for nothing.
MAX_TEXT_CHARS = 60_000


_CELL_GAP = re.compile(r"\t|[ \u00a0]{2,}")


@dataclass(frozen=True, slots=True)
class TextHints:
    """What the mail around a text tells about it."""

    subject: str = ""
    tld: str | None = None  # the sender's top-level domain, for "$" and date order


def text_lines(text: str) -> list[str]:
    """The non-empty lines of `text`, blanks collapsed; a tab, or a run of blanks, between
    table cells becomes one tab, so a header row's cells stay apart."""
    lines = []
    for raw in text[:MAX_TEXT_CHARS].splitlines():
        cells = (" ".join(cell.split()) for cell in _CELL_GAP.split(raw))
        line = "\t".join(cell for cell in cells if cell)
        if line:
            lines.append(line)
    return lines


def read_text_fields(lines: list[str], hints: TextHints) -> InvoiceFields:
    """Number, dates, total and currency of the invoice whose text is `lines` (vendor aside)."""
    text = "\n".join(lines)
    language = language_of(text)
    codes = codes_in(text)
    total = find_total(lines)
    printed = (total.currency if total else None) or document_currency(lines)
    currency = iso_currency(printed, hints.tld, codes) if printed else _only_code(codes)
    issue, due = find_dates(lines, language, day_first(text, language, currency, hints.tld))
    return InvoiceFields(
        invoice_number=find_number(lines, hints.subject),
        issue_date=issue,
        due_date=due,
        total_amount=total.amount if total else None,
        currency=currency,
    )


def _only_code(codes: frozenset[str]) -> str | None:
    """The currency of a document that prints one ISO code but no amount next to it
    ("Währung: EUR", "Currency: USD")."""
    return next(iter(codes)) if len(codes) == 1 else None
