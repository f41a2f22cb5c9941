"""The grand total of an invoice: the amount payable, tax included.

Every total-like label's value is read where the layout puts it (after it, to its right, under
it). Labels rank, by the vocabulary's concepts:
3. the amount payable ("Amount due", "Zahlbetrag", "Net à payer", "Te betalen", "Do zapłaty"),
   the same rule as for e-invoices: it is what the document asks to be paid, unless it is zero
   (a paid receipt), when the lower ranks say what the invoice cost;
2. a total that includes tax ("Grand total", "Gesamtbetrag", "Total TTC", "Totaal incl. btw",
   a total whose label names the tax as included);
1. a bare "Total", "Summe", "Totaal".
A label that also names a net amount, a tax, a discount, shipping or a prepayment is not a total.
Within the best rank, a reading that equals a net amount plus a tax amount of the same document
wins, else the last one (totals close a document). Where a label heads a column of figures
closed by their sum (a tax breakdown's rows and its total row), the sum is the value; a row of
figures closed by their sum likewise.

The confidence rises when the total adds up (net + tax, or another rank's reading of the same
amount) and falls when readings of its rank disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from scanner.extraction.amounts import Money, amounts_in, currencies_in
from scanner.extraction.currency import ISO_CODES
from scanner.extraction.labels import Label, find_labels, label_pattern
from scanner.extraction.layout import Layout
from scanner.extraction.places import BELOW, LabelAt, Place, cell_labels, cell_places, labels_of
from scanner.extraction.record import Found

DUE, GRAND, PLAIN = 3, 2, 1
_RANK_CONFIDENCE = {DUE: 0.9, GRAND: 0.85, PLAIN: 0.6}
_CONFIRMED, _DISPUTED = 0.97, 0.7
_CENT = Decimal("0.01")
_KIND_CONCEPTS = frozenset({"amount_due", "grand_total", "total", "net", "tax", "other_amount"})
# A table's header has at least this many cells; under its plain "Total" are line amounts.
_TABLE_CELLS = 3
_WORD = re.compile(r"[^\W\d_]{4,}")
_COLUMN_ROWS = 24


@dataclass(frozen=True, slots=True)
class Total:
    """The total found, with the currency printed by it or in its label (as printed)."""

    amount: Decimal
    currency: str | None


@dataclass(frozen=True, slots=True)
class _Reading:
    rank: int
    row: int
    money: Money
    currency: str | None
    weight: float


def find_total(layout: Layout) -> Found[Total] | None:
    """The grand total payable of the document laid out in `layout` (see the module's rules)."""
    readings, nets, taxes = _scan(layout)
    for rank in (DUE, GRAND, PLAIN):
        ranked = [r for r in readings if r.rank == rank]
        if rank == DUE:
            ranked = [r for r in ranked if r.money.amount != 0]
        if not ranked:
            continue
        consistent = [r for r in ranked if _adds_up(r.money.amount, nets, taxes)]
        best = (consistent or ranked)[-1]
        confidence = _RANK_CONFIDENCE[rank] * best.weight
        others = {r.money.amount for r in readings if r is not best}
        if consistent or best.money.amount in others:
            confidence = max(confidence, _CONFIRMED)
        if any(r.money.amount != best.money.amount for r in ranked) and not consistent:
            confidence *= _DISPUTED
        return Found(Total(best.money.amount, best.currency), round(confidence, 3))
    return None


def document_currency(layout: Layout) -> str | None:
    """The currency symbol or code printed most often next to a figure in the document."""
    printed: dict[str, int] = {}
    for currency in currencies_in("\n".join(layout.lines)):
        printed[currency] = printed.get(currency, 0) + 1
    return max(printed, key=lambda c: printed[c]) if printed else None


def _scan(layout: Layout) -> tuple[list[_Reading], list[Decimal], list[Decimal]]:
    """Every total-like cell's amount, read after all of the cell's labels: "Total € Incl.
    VAT 681.87" is one label of several words."""
    readings: list[_Reading] = []
    nets: list[Decimal] = []
    taxes: list[Decimal] = []
    labels = cell_labels(layout)
    seen: set[tuple[int, int]] = set()
    for at in labels_of(layout, _KIND_CONCEPTS):
        if (at.row, at.cell) in seen:
            continue
        seen.add((at.row, at.cell))
        end = _labels_end(labels[at.row][at.cell], at.label.end)
        for place in cell_places(layout, at.row, at.cell, end):
            money = _amount_of(layout, at, place)
            if money is None:
                continue
            context = _label_context(layout, at, place, money)
            kind = _kind(context)
            if kind in ("net", "tax"):
                row_amounts = [m.amount for m in _row_amounts(layout, at, end)]
                if kind == "net":
                    nets.append(row_amounts[0] if row_amounts else money.amount)
                if len(row_amounts) >= 2 or kind == "tax":
                    # "Steuerbasisbetrag USt. 7 %  275,00  19,25": the base, then the tax
                    taxes.append(row_amounts[-1] if row_amounts else money.amount)
            elif isinstance(kind, int):
                currency = money.currency or _printed_currency(context)
                readings.append(_Reading(kind, at.row, money, currency, place.weight))
            break
    return readings, nets, taxes


def _row_amounts(layout: Layout, at: LabelAt, end: int) -> list[Money]:
    """The amounts after a label on its own line: in its cell, then in the cells to its right."""
    found = []
    for place in cell_places(layout, at.row, at.cell, end):
        if place.kind != BELOW:
            found.extend(amounts_in(place.text))
    return found


def _labels_end(labels: tuple[Label, ...], end: int) -> int:
    """Where the run of labels that ends at or after `end` stops: a label's words may be
    parted by a currency or a bracket ("Total € Incl. VAT", "Brutto (inkl. USt.)")."""
    for label in labels:
        if label.start >= end and label.start - end <= 12:
            end = label.end
    return end


def _amount_of(layout: Layout, at: LabelAt, place: Place) -> Money | None:
    """The amount a place holds for the label: the first in it; under a column's head, the sum
    closing the column; in a row of figures closed by their sum, that sum."""
    found = amounts_in(place.text)
    if not found:
        return None
    if place.kind == BELOW and _WORD.search(place.text):
        return None  # under a label stands its value, not a line of an item ("Widget 2 10.00")
    if place.kind == BELOW:
        header = layout.rows[at.row]
        closing = _closing_sum(_column_below(layout, place))
        plain = _kind(header.cells[at.cell].text) not in (DUE, GRAND)
        if plain and len(header.cells) >= _TABLE_CELLS and closing is None:
            return None  # a table's "Total" column: line amounts, not the total
        return closing or found[0]
    return _closing_sum(found) or found[0]


def _column_below(layout: Layout, place: Place) -> list[Money]:
    """The first amounts of the cells under each other from `place` down, in its column (a
    totals table's rows; a column longer than _COLUMN_ROWS is an item list, read no further)."""
    column = [amounts_in(place.text)[0]]
    row, cell = place.row, place.cell
    while len(column) < _COLUMN_ROWS:
        below = layout.below(row, cell)
        if below is None:
            return column
        row, cell = below
        found = amounts_in(cell.text)
        if not found:
            return column
        column.append(found[0])
    return column


def _closing_sum(amounts: list[Money]) -> Money | None:
    """The last of `amounts` when it is the sum of the others (at least two others)."""
    if len(amounts) < 3:
        return None
    if abs(sum((m.amount for m in amounts[:-1]), Decimal(0)) - amounts[-1].amount) <= _CENT:
        return amounts[-1]
    return None


def _label_context(layout: Layout, at: LabelAt, place: Place, money: Money) -> str:
    """The label's text that tells what the amount is: the cell up to the amount when both
    share a cell, else the label's whole cell."""
    cell = layout.rows[at.row].cells[at.cell]
    if place.cell is cell:
        return cell.text[: place.start + money.start]
    return cell.text


def _kind(label: str) -> int | str | None:
    """A label's rank (DUE, GRAND, PLAIN), or "net", "tax", "other", or None."""
    concepts = {found.concept for found in find_labels(label)}
    included = label_pattern("tax_included").search(label) is not None
    if "amount_due" in concepts:
        return DUE
    if "net" in concepts:
        return "net"
    if "tax" in concepts and not included:
        return "tax"
    if "other_amount" in concepts:
        return "other"
    if "grand_total" in concepts or ("total" in concepts and included):
        return GRAND
    if "total" in concepts:
        return PLAIN
    return None


@cache
def _currency_in_label() -> re.Pattern[str]:
    return re.compile(r"(?:€|£|\$|¥|\b[A-Z]{3}\b)")


def _printed_currency(label: str) -> str | None:
    """A currency the label names ("Total € incl. VAT", "Brutto EUR")."""
    for match in _currency_in_label().finditer(label):
        if len(match.group(0)) != 3 or match.group(0) in ISO_CODES:
            return match.group(0)
    return None


def _adds_up(total: Decimal, nets: list[Decimal], taxes: list[Decimal]) -> bool:
    tax_sums = set(taxes) | ({sum(taxes, Decimal(0))} if len(taxes) > 1 else set())
    return any(abs(net + tax - total) <= _CENT for net in nets for tax in tax_sums)
