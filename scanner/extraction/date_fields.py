"""Issue and due dates: the dates that labels claim, weighed with the dates a layout implies.

Readings, strongest first:
- a date under, beside or after an issue-date label ("Invoice date", "Rechnungsdatum",
  "Factuurdatum", "Data wystawienia") or a due-date label ("Due date", "Fällig am", "Vervaldatum",
  "Termin płatności"), in its cell, to its right or under it in its column;
- an invoice's number followed by its date ("Rechnung Nr. 12 vom 05.03.2026", "Invoice # 7
  issued at 2026-03-05") for the issue date, and a payment term that ends in a date ("Zahlbar
  innerhalb 30 Tagen netto bis 04.04.2013") for the due date;
- a date under a plain "Date"/"Datum" label (weaker in the page's footer: a print date);
- a letter's date after its place ("München, den 01.11.2024", "Paris, le 5 mars 2024");
- a date beside an invoice title ("Beitragsrechnung   24. Januar 2014");
- the first date in the head of the document that no label claims.
Delivery, order and period dates are claimed by their own labels and never taken for either. A
due date is computed from "payable within N days" only when none is printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from scanner.extraction.dates import DATE, parse_date
from scanner.extraction.evidence import Candidate, decide
from scanner.extraction.labels import document_patterns, label_pattern
from scanner.extraction.layout import Cell, Layout
from scanner.extraction.letters import UPPER
from scanner.extraction.numbers import TITLE_CODE
from scanner.extraction.places import cell_labels, labels_of, places
from scanner.extraction.record import Found

ISSUE_LABEL, DUE_LABEL, PLAIN_LABEL = 1.0, 1.0, 0.8
NUMBER_OF, PAYABLE_UNTIL, LETTER_DATE, BESIDE_TITLE, UNLABELLED = 0.95, 0.9, 0.75, 0.7, 0.5
# A due date computed from a stated term is as sure as the issue date it counts from, nearly.
COMPUTED_DUE = 0.85
# A plain "Date" in the footer is a print or a bank date more often than the invoice's.
_FOOTER, _FOOTER_PENALTY = 0.85, 0.5
_HEAD_SHARE, _HEAD_ROWS = 0.4, 25
_KIND_OF_CONCEPT = {
    "issue_date": "issue",
    "due_date": "due",
    "other_date": "other",
    "date": "plain",
}
_MAX_TERM_DAYS = 180
# The labels that make a line's days a payment term.
_PAYMENT_CONCEPTS = ("payment_terms", "payable", "due_date")
# What a reading of a date looks at before it: a title and its number, a payment term.
_CONTEXT = 160


@dataclass(frozen=True, slots=True)
class _Reading:
    kind: str  # "issue", "due", "other" or "plain"
    score: float
    value: date
    row: int


def find_dates(
    layout: Layout, language: str, day_first: bool
) -> tuple[Found[date] | None, Found[date] | None]:
    """The issue date and the due date of the document laid out in `layout`."""
    readings, claimed = _labelled(layout, language, day_first)
    readings += _implied(layout, language, day_first, claimed)
    issue_readings = [r for r in readings if r.kind in ("issue", "plain")]
    strong = {r.value for r in issue_readings if r.score > BESIDE_TITLE}
    if strong:  # a date only the layout implies counts only where it agrees with a label
        issue_readings = [r for r in issue_readings if r.score > BESIDE_TITLE or r.value in strong]
    issue = decide(Candidate(r.value, r.score, r.row) for r in issue_readings)
    due = decide(Candidate(r.value, r.score, r.row) for r in readings if r.kind == "due")
    if due is None and issue is not None:
        days = _payment_days(layout)
        if days:
            due = Found(
                issue.value + timedelta(days=days), round(COMPUTED_DUE * issue.confidence, 3)
            )
    return issue, due


def _labelled(
    layout: Layout, language: str, day_first: bool
) -> tuple[list[_Reading], set[tuple[int, float, int]]]:
    """The dates labels claim, and where each claimed date is (row, cell, offset)."""
    readings: list[_Reading] = []
    claimed: set[tuple[int, float, int]] = set()
    for at in labels_of(layout, frozenset(_KIND_OF_CONCEPT)):
        for place in places(layout, at):
            match = DATE.search(place.text)
            value = parse_date(match.group(0), language, day_first) if match else None
            if match is None or value is None:
                continue
            claimed.add((place.row, place.cell.x0, place.start + match.start()))
            kind = _KIND_OF_CONCEPT[at.concept]
            score = {"issue": ISSUE_LABEL, "due": DUE_LABEL}.get(kind, PLAIN_LABEL) * place.weight
            if kind == "plain" and layout.relative_top(at.row) > _FOOTER:
                score *= _FOOTER_PENALTY
            readings.append(_Reading(kind, score, value, at.row))
            break
    return readings, claimed


def _implied(
    layout: Layout, language: str, day_first: bool, claimed: set[tuple[int, float, int]]
) -> list[_Reading]:
    """Dates no label names: after an invoice's number, at the end of a payment term, beside a
    title, or alone in the head."""
    readings: list[_Reading] = []
    unlabelled_seen = False
    labels = cell_labels(layout)
    for row_index, row in enumerate(layout.rows):
        for cell_index, cell, match, before, first in _dates_of_row(layout, row_index):
            value = parse_date(match.group(0), language, day_first)
            if value is None or (row_index, cell.x0, match.start()) in claimed:
                continue
            if _number_of(before):
                readings.append(_Reading("issue", NUMBER_OF, value, row_index))
            elif first and _payable_until(before):
                readings.append(_Reading("due", PAYABLE_UNTIL, value, row_index))
            elif any(label.start < match.start() for label in labels[row_index][cell_index]):
                continue  # a label of another kind (an order number, a period) owns it
            elif _letter_date(before) and layout.in_head(row_index, _HEAD_SHARE, _HEAD_ROWS):
                readings.append(_Reading("issue", LETTER_DATE, value, row_index))
            elif _beside_title(row.cells[0]) and cell_index > 0:
                readings.append(_Reading("issue", BESIDE_TITLE, value, row_index))
            elif not unlabelled_seen and layout.in_head(row_index, _HEAD_SHARE, _HEAD_ROWS):
                unlabelled_seen = True
                readings.append(_Reading("issue", UNLABELLED, value, row_index))
    return readings


def _dates_of_row(
    layout: Layout, row_index: int
) -> Iterator[tuple[int, Cell, re.Match[str], str, bool]]:
    """Each date of a row with its cell, the last _CONTEXT characters of the row's text before
    it (all that the readings look at: a hostile line of thousands of dates must not make each
    date re-read the whole line), and whether it is the first date of its cell."""
    row = layout.rows[row_index]
    before = ""
    for cell_index, cell in enumerate(row.cells):
        for position, match in enumerate(DATE.finditer(cell.text)):
            context = (before + " " + cell.text[: match.start()])[-_CONTEXT:]
            yield cell_index, cell, match, context, position == 0
        before = (before + " " + cell.text)[-_CONTEXT:]


@cache
def _number_of_pattern() -> re.Pattern[str]:
    """An invoice title (with its code: "Handelsrechnung (380)") or number label, a number
    word, a value with a digit, then "of"/"vom"/"du": "Rechnung Nr. 12 vom". Nothing else may
    stand between: in "Rechnung gemäß Bestellung Nr. 7 vom" the date is the order's."""
    title = f"(?:{document_patterns()['invoice'].pattern}){TITLE_CODE.pattern}"
    invoice = f"(?:{title}|{label_pattern('invoice_number').pattern})"
    number, of = label_pattern("number").pattern, label_pattern("date_of").pattern
    return re.compile(
        rf"{invoice}[\s:#.]*(?:(?:{number})[\s:#.]*)?\S*\d\S*\s+(?:{of})\s*[:.]?\s*$",
        re.IGNORECASE,
    )


@cache
def _ends_with_of() -> re.Pattern[str]:
    return re.compile(rf"(?:{label_pattern('date_of').pattern})\s*[:.]?\s*$", re.IGNORECASE)


def _number_of(before: str) -> bool:
    # The small pattern first: most dates follow no "of", and the whole one is large.
    if _ends_with_of().search(before) is None:
        return False
    return _number_of_pattern().search(" ".join(before.split())) is not None


@cache
def _payable_until_pattern() -> re.Pattern[str]:
    payable, until = label_pattern("payable").pattern, label_pattern("until").pattern
    return re.compile(rf"(?:{payable})\b.{{0,60}}?(?:{until})\s*[:.]?\s*$", re.IGNORECASE)


def _payable_until(before: str) -> bool:
    """Whether a date closes a payment term ("Zahlbar ... bis")."""
    return _payable_until_pattern().search(before) is not None


def _beside_title(first: Cell) -> bool:
    """Whether a row opens with an invoice title ("Beitragsrechnung zur Kraftfahrtversicherung
    Nr. 7   11. März 2014")."""
    return document_patterns()["invoice"].match(first.text.strip(" :")) is not None


@cache
def _letter_date_pattern() -> re.Pattern[str]:
    """A place, a comma and a date word: the date line of a letter."""
    words = label_pattern("letter_date").pattern
    return re.compile(rf"^\s*[{UPPER}][^\W\d_]+(?:[ -][^\W\d_]+)?,\s*(?:{words})?\s*$")


def _letter_date(before: str) -> bool:
    return _letter_date_pattern().search(before) is not None


def _payment_days(layout: Layout) -> int | None:
    """N of "payable within N days", where a line states a payment term: the days count only
    beside a word of payment ("Zahlbar innerhalb 14 Tagen", "Terms: net 30"), for "returns
    accepted within 30 days" and "delivery in 5 days" are no terms."""
    days_pattern = label_pattern("payment_days")
    for line in layout.lines:
        match = days_pattern.search(line)
        if match is None or not any(label_pattern(c).search(line) for c in _PAYMENT_CONCEPTS):
            continue
        days = int(re.search(r"\d+", match.group(0)).group(0))  # type: ignore[union-attr]
        if 0 < days <= _MAX_TERM_DAYS:
            return days
    return None
