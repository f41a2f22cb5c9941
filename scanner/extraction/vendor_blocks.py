"""The blocks of a page that belong to the invoice's recipient, and the return-address line.

A recipient's block opens with a recipient label ("Bill to", "Rechnungsempfänger", "Käufer",
"Adresse de livraison", "Klant", "Nabywca") and runs down its column until a gap. In a letter
laid out for a window envelope (DIN 5008 and its cousins), the seller's address is printed in one
small line ("Kraxi GmbH · Flugzeugallee 17 · 12345 Papierfeld") right above the recipient's
address: the rows under such a line, in its column, are the recipient's too.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import cast

from scanner.extraction.layout import Cell, Layout
from scanner.extraction.parties import company_pattern
from scanner.extraction.places import cell_labels, labels_of

# Rows an address block spans at most, its label or return line included.
_BLOCK_ROWS = 7
_RETURN_PARTS = re.compile(r"\s*[·•●|–]\s*|\s+-\s+|,\s+")
_POSTCODE = re.compile(
    r"(?:^|\s)(?:[A-Z]{1,2}[- ]?)?\d{4,5}(?:\s|$)|\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b"
)
_STREET = re.compile(r"\b\d{1,4}[a-z]?$|^\d{1,4}\s+\w")


@cache
def countries() -> frozenset[str]:
    """Country names as printed in addresses (labels/parties.toml)."""
    path = Path(__file__).parent / "labels" / "parties.toml"
    return frozenset(tomllib.loads(path.read_text(encoding="utf-8"))["countries"])


def recipient_cells(layout: Layout) -> set[tuple[int, int]]:
    """The (row, cell) places of every recipient block of `layout`."""
    if "recipient_cells" not in layout.memo:
        found: set[tuple[int, int]] = set()
        for at in labels_of(layout, frozenset({"recipient"})):
            cell = layout.rows[at.row].cells[at.cell]
            if not opens_block(cell.text, at.label.start, at.label.end):
                continue
            found.add((at.row, at.cell))
            found.update(_block(layout, at.row, cell))
        for row_index, cell_index in return_lines(layout):
            found.update(_block(layout, row_index, layout.rows[row_index].cells[cell_index]))
        layout.memo["recipient_cells"] = found
    return cast(set[tuple[int, int]], layout.memo["recipient_cells"])


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
                parts = [p for p in _RETURN_PARTS.split(cell.text) if p.strip()]
                if len(parts) >= 3 and any(_POSTCODE.search(p) for p in parts[1:]):
                    if _address_below(layout, row_index, cell):
                        found.add((row_index, cell_index))
        layout.memo["return_lines"] = found
    return cast(set[tuple[int, int]], layout.memo["return_lines"])


def _address_below(layout: Layout, row: int, cell: Cell) -> bool:
    """Whether an address (a street or a postcode and town) stands in the rows under `cell`."""
    for row_index, below in _below_cells(layout, row, cell):
        if _POSTCODE.search(below.text) or _STREET.search(below.text):
            return row_index - row <= _BLOCK_ROWS
    return False


def _block(layout: Layout, row: int, cell: Cell) -> Iterator[tuple[int, int]]:
    """The places of the rows under `cell` in its column, up to a gap or a seller's label."""
    labels = cell_labels(layout)
    for row_index, below in _below_cells(layout, row, cell):
        cell_index = layout.rows[row_index].cells.index(below)
        if any(label.concept == "seller" for label in labels[row_index][cell_index]):
            return
        yield row_index, cell_index


def _below_cells(layout: Layout, row: int, cell: Cell) -> Iterator[tuple[int, Cell]]:
    index = row
    for _ in range(_BLOCK_ROWS - 1):
        found = layout.below(index, cell)
        if found is None:
            return
        index, below = found
        yield index, below
