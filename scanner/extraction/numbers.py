"""Invoice numbers: the value of an invoice-number label, else of an invoice title.

Labels come from the vocabulary ("Invoice No.", "Rechnungsnummer", "Factuurnummer", "Numer
faktury", ...); the value is read after the label in its cell, in the next cell to its right or
under it (a header row and its data row). A title with a value ("Rechnung R0005532486",
"Handelsrechnung (380) Nr. 471102") counts for less, the mail's subject for less again. A value
holds a digit and is no date and no amount; values of other numbers' labels (customer, order,
VAT id, IBAN) are never candidates, since only invoice labels and titles are read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from scanner.extraction.dates import DATE
from scanner.extraction.evidence import Candidate, decide
from scanner.extraction.labels import document_patterns, label_pattern
from scanner.extraction.layout import Layout
from scanner.extraction.places import (
    SAME,
    LabelAt,
    cell_labels,
    labels_of,
    opens_with_label,
    places,
)
from scanner.extraction.record import Found

LABEL_SCORE, HEAD_TITLE_SCORE, TITLE_SCORE, NUMBER_WORD_SCORE, SUBJECT_SCORE = (
    1.0,
    0.75,
    0.5,
    0.55,
    0.45,
)
# A label inside its cell's text, or inside another label's value, is less surely the document's.
INNER_LABEL, NESTED_LABEL = 0.7, 0.6
# A title's number is read in the head of the first page (or of a text) only.
_HEAD_SHARE, _HEAD_ROWS = 0.45, 25
_AMOUNT = re.compile(r"\d{1,3}(?:[.,]\d{3})*[.,]\d{2}")
_YEAR = re.compile(r"(?:19|20)\d{2}")


@cache
def _value_pattern() -> re.Pattern[str]:
    """Separators and an optional number word ("Nr.", "n°"), then the value itself."""
    number = label_pattern("number").pattern
    return re.compile(
        rf"[\s:#.\-]*(?:(?:{number})[\s:#.]*)?"
        # A series before the number, as Portuguese and Spanish invoices print it: "FT 2024/118".
        r"(?P<value>(?:(?-i:[A-Z]{1,4}) (?=\d))?[A-Za-z0-9][\w\-/.]{0,38}[A-Za-z0-9]|\d)",
        re.IGNORECASE,
    )


# What some print between an invoice title and its number: "Teilrechnung Bau (875)",
# "Gutschrift (Selbst ausgestellte Rechnung) (389)".
TITLE_CODE = re.compile(r"(?:(?:\s+[^\W\d_]+){0,2}?(?:\s*\([^()]{0,40}\))+)?")


def _titles(text: str) -> Iterator[tuple[int, int]]:
    """Where each invoice title of `text` starts, and where its code (if any) ends."""
    for title in document_patterns()["invoice"].finditer(text):
        code = TITLE_CODE.match(text, title.end())
        yield title.start(), code.end() if code else title.end()


def find_number(layout: Layout, subject: str = "", filename: str = "") -> Found[str] | None:
    """The invoice number of the document laid out in `layout`, else the one in `subject`;
    its confidence rises where the file name or the subject repeats it."""
    # A bare "Nr." beside a value is read only where no invoice label or title is: in
    # e-invoice viewers every party's block has its own "Nummer:".
    candidates = [*_labelled(layout), *_titled(layout)] or _numbered(layout)
    from_subject = _after_title(subject)
    if from_subject:
        candidates.append(Candidate(from_subject, SUBJECT_SCORE, len(layout.rows)))
    found = decide(candidates)
    if found is None:
        return None
    standing_alone = re.compile(rf"(?<![^\W_]){re.escape(found.value)}(?![^\W_])")
    repeated = sum(1 for text in (subject, filename) if text and standing_alone.search(text))
    if repeated and found.confidence < 1:
        return Found(found.value, round(min(1.0, found.confidence + 0.1 * repeated), 3))
    return found


def _labelled(layout: Layout) -> list[Candidate[str]]:
    candidates = []
    for at in labels_of(layout, frozenset({"invoice_number"})):
        for place in places(layout, at):
            value = value_at(place.text) or (
                _after_a_word(place.text) if place.kind == SAME else None
            )
            if value:
                score = LABEL_SCORE * place.weight * _nesting(layout, at)
                candidates.append(Candidate(value, score, at.row))
                break
    return candidates


def _nesting(layout: Layout, at: LabelAt) -> float:
    """How much a label's position says it is the document's own: inside another label's value
    ("Zahlungsreferenz:  Kundennummer 8 Rechnungsnummer 6") it may name another document."""
    row = layout.rows[at.row]
    cell = row.cells[at.cell]
    if at.cell > 0 and opens_with_label(layout, at.row, row.cells[at.cell - 1]):
        if row.cells[at.cell - 1].text.rstrip().endswith(":"):
            return NESTED_LABEL
    if cell.text[: at.label.start].strip(" :.-#("):
        return INNER_LABEL
    return 1.0


def _titled(layout: Layout) -> list[Candidate[str]]:
    """Numbers right after an invoice title, in the head of the document."""
    candidates = []
    labels = cell_labels(layout)
    for row_index, row in enumerate(layout.rows):
        head = layout.in_head(row_index, _HEAD_SHARE, _HEAD_ROWS)
        for cell_index, cell in enumerate(row.cells):
            spans = [(label.start, label.end) for label in labels[row_index][cell_index]]
            for title_start, title_end in _titles(cell.text):
                if any(start <= title_start < end for start, end in spans):
                    continue  # "Invoice date", "Invoice total": a label, not a title
                rest = cell.text[title_end:]
                value = value_at(rest) or _after_a_word(rest)
                if value and _YEAR.fullmatch(value):
                    continue  # "Betriebskostenabrechnung 2010": the year the title is about
                if value is None and not rest.strip():
                    right = row.cells[cell_index + 1 : cell_index + 2]
                    value = value_at(right[0].text) if right else None
                if value:
                    score = HEAD_TITLE_SCORE if head else TITLE_SCORE
                    candidates.append(Candidate(value, score, row_index))
    return candidates


def _numbered(layout: Layout) -> list[Candidate[str]]:
    """The value beside a label that is only a number word ("Nr.", "No.", "Numer"), in a row
    of that label and its value (an invoice's info block; a table's "No." column is no such)."""
    candidates = []
    number = label_pattern("number")
    for row_index, row in enumerate(layout.rows):
        if len(row.cells) < 2 or not number.fullmatch(row.cells[-2].text.strip(" :")):
            continue  # the label and its value close the row: an info block's pair
        value = value_at(row.cells[-1].text)
        if value:
            candidates.append(Candidate(value, NUMBER_WORD_SCORE, row_index))
    return candidates


def _after_a_word(text: str) -> str | None:
    """The value after one word that continues a label ("Fattura n. documento 145/2024")."""
    word = re.match(r"\s*[^\W\d_]{2,14}\.?(?=\s)", text)
    return value_at(text[word.end() :]) if word else None


def _after_title(text: str) -> str | None:
    """The number after an invoice word or a "#" in a short text (a mail's subject)."""
    for _, title_end in _titles(text):
        value = value_at(text[title_end:])
        if value:
            return value
    hashed = re.search(r"#\s?(?=[\w-]*\d)", text)
    return value_at(text[hashed.end() :]) if hashed else None


def value_at(text: str) -> str | None:
    """The invoice number at the start of `text` (after separators and a number word)."""
    match = _value_pattern().match(text)
    if match is None:
        return None
    value = match["value"].rstrip(".-/_")
    rest = text[match.start("value") :]
    if not any(char.isdigit() for char in value):
        return None
    if DATE.match(rest) or _AMOUNT.fullmatch(value):
        return None  # a date or an amount that follows a label with no number of its own
    return value
