"""The blocks of a page that belong to the invoice's recipient, and the return-address line.

A recipient's block opens with a recipient label ("Bill to", "Rechnungsempfänger", "Käufer",
"Adresse de livraison", "Klant", "Nabywca") and runs down its column until a gap. In a letter
laid out for a window envelope (DIN 5008 and its cousins), the seller's address is printed in one
small line ("Kraxi GmbH · Flugzeugallee 17 · 12345 Papierfeld") right above the recipient's
address: the rows under such a line, in its column, are the recipient's too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import cast

from scanner.extraction.layout import BELOW_REACH, Cell, Layout
from scanner.extraction.parties import company_pattern
from scanner.extraction.places import cell_labels, labels_of

# Rows an address block spans at most, its label or return line included.
_BLOCK_ROWS = 7
# How far (in the return line's heights) under it the window's address may begin: the line is
# printed small, just over the window, and other blocks' rows may stand between.
_WINDOW_REACH = 12.0
_RETURN_PARTS = re.compile(r"\s*[·•●|–]\s*|\s+-\s+|,\s+")
# Postcodes as the invoice countries print them: 12345, D-12345, 3542 AD (four digits), SW1A
# 1AA (the UK), 00-514 (Poland), 111 34 (Sweden, Czechia, Slovakia), 1100-053 (Portugal).
_POSTCODE = re.compile(
    r"(?:^|\s)(?:[A-Z]{1,2}[- ]?)?\d{4,5}(?:\s|$)|\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b"
    r"|\b\d{2}-\d{3}\b|\b\d{3} \d{2}\b|\b\d{4}-\d{3}\b"
)
_STREET = re.compile(r"\b\d{1,4}[a-z]?$|^\d{1,4}\s+\w")


def recipient_cells(layout: Layout) -> set[tuple[int, int]]:
    """The (row, cell) places of every recipient block of `layout`: under a recipient label, and
    under a return-address line (the window of a letter, a few lines lower)."""
    if "recipient_cells" not in layout.memo:
        found = _blocks(layout, "recipient")
        for row_index, cell_index in return_lines(layout):
            cell = layout.rows[row_index].cells[cell_index]
            found.update(_with_values(layout, _block(layout, row_index, cell, _WINDOW_REACH)))
        layout.memo["recipient_cells"] = found
    return cast(set[tuple[int, int]], layout.memo["recipient_cells"])


def bank_cells(layout: Layout) -> set[tuple[int, int]]:
    """The (row, cell) places of bank details: cells with a bank label ("IBAN", "Bankverbindung")
    and the blocks under such labels, where a bank's name is no seller's."""
    if "bank_cells" not in layout.memo:
        found = _blocks(layout, "bank")
        found.update((at.row, at.cell) for at in labels_of(layout, frozenset({"bank"})))
        layout.memo["bank_cells"] = found
    return cast(set[tuple[int, int]], layout.memo["bank_cells"])


def _blocks(layout: Layout, concept: str) -> set[tuple[int, int]]:
    """The places of the blocks that labels of `concept` head, values beside their rows' labels
    included ("Name:  Acme Ltd" under "Bill to")."""
    found: set[tuple[int, int]] = set()
    for at in labels_of(layout, frozenset({concept})):
        cell = layout.rows[at.row].cells[at.cell]
        if opens_block(cell.text, at.label.start, at.label.end):
            found.add((at.row, at.cell))
            found.update(_with_values(layout, _block(layout, at.row, cell)))
    return found


def _with_values(layout: Layout, places: Iterator[tuple[int, int]]) -> set[tuple[int, int]]:
    """`places`, and the cell right of each that is a label (its value): one the vocabulary
    knows, or any that ends with a colon ("Company:")."""
    found = set()
    labels = cell_labels(layout)
    for row, cell_index in places:
        found.add((row, cell_index))
        cells = layout.rows[row].cells
        is_label = labels[row][cell_index] or cells[cell_index].text.rstrip().endswith(":")
        if is_label and cell_index + 1 < len(cells):
            found.add((row, cell_index + 1))
    return found


def opens_block(text: str, start: int, end: int) -> bool:
    """Whether a label heads a block: the cell holds only the label ("Bill to", "Käufer"), or
    opens with it and a colon ("Bill to: Acme Corp."); a company whose name holds a label's
    word ("Kunden AG") is no label, nor is a label inside another ("Bestellung Nr. Kunde:")."""
    if company_pattern().fullmatch(text.strip()) or text[:start].strip(" /("):
        return False
    rest = re.sub(r"\([^()]*\)", "", text[end:]).strip()  # "Cedente/prestatore (fornitore)"
    return not rest or rest == ":" or rest.startswith(":")


def return_lines(layout: Layout) -> set[tuple[int, int]]:
    """The (row, cell) places of return-address lines: a name, a street and a town in one
    line, above an address block."""
    if "return_lines" not in layout.memo:
        found = set()
        for row_index, row in enumerate(layout.rows[:60]):
            if row.page != 0:
                break
            for cell_index, cell in enumerate(row.cells):
                if is_address_line(cell.text) and _address_below(layout, row_index, cell):
                    found.add((row_index, cell_index))
        layout.memo["return_lines"] = found
    return cast(set[tuple[int, int]], layout.memo["return_lines"])


def is_address_line(text: str) -> bool:
    """Whether `text` is a whole address in one line: a name, a street and a postcode with its
    town, apart by "·", "|", "–", " - " or commas ("Kraxi GmbH · Flugzeugallee 17 · 12345
    Papierfeld")."""
    parts = [part for part in _RETURN_PARTS.split(text) if part.strip()]
    return len(parts) >= 3 and any(_POSTCODE.search(part) for part in parts[1:])


def _address_below(layout: Layout, row: int, cell: Cell) -> bool:
    """Whether an address (a street or a postcode and town) stands in the rows under `cell`."""
    for row_index, below in block_below(layout, row, cell, _WINDOW_REACH):
        if _POSTCODE.search(below.text) or _STREET.search(below.text):
            return row_index - row <= _BLOCK_ROWS
    return False


def _block(
    layout: Layout, row: int, cell: Cell, reach: float = BELOW_REACH
) -> Iterator[tuple[int, int]]:
    """The places of the rows under `cell` in its column, up to a gap or a seller's label."""
    labels = cell_labels(layout)
    for row_index, below in block_below(layout, row, cell, reach):
        cell_index = layout.rows[row_index].cells.index(below)
        if any(label.concept == "seller" for label in labels[row_index][cell_index]):
            return
        yield row_index, cell_index


def block_below(
    layout: Layout, row: int, cell: Cell, reach: float = BELOW_REACH
) -> Iterator[tuple[int, Cell]]:
    """The cells under `cell` in its column, row after row, up to a gap or _BLOCK_ROWS; the
    first may stand `reach` row heights lower (a window under its return-address line)."""
    index = row
    for _ in range(_BLOCK_ROWS - 1):
        found = layout.below(index, cell, reach)
        reach = BELOW_REACH  # past the first row, a block's rows follow each other
        if found is None:
            return
        index, below = found
        yield index, below
