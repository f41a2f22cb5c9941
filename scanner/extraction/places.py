"""Where a label's value is: after it in its cell, in a cell to its right, or under it.

Every cell's labels are found once per layout (`cell_labels`). A label's places are read in the
order a person reads them; a reader takes the first place whose text holds a value of its kind.
A cell that opens with a label of its own is never a value: a header row's next cell is the
next column's label, and what stands under it belongs to that column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from scanner.extraction.labels import Label, find_labels
from scanner.extraction.layout import Cell, Layout
from scanner.extraction.parties import company_pattern

SAME, RIGHT, BELOW = "same", "right", "below"
# How much a place says that its value is the label's: after the label in its own cell it
# surely is; a cell to the right or under it could belong to another block.
PLACE_WEIGHT = {SAME: 1.0, RIGHT: 0.95, BELOW: 0.85}
# Cells to the right of a label that may hold its value (a label, a filler, the value).
_RIGHT_CELLS = 2
_JOINED = re.compile(r"[\s/&+|]*[/&+|][\s/&+|]*")


@dataclass(frozen=True, slots=True)
class LabelAt:
    """A label found in a layout: its row, its cell in that row, and where in the cell."""

    row: int
    cell: int
    label: Label

    @property
    def concept(self) -> str:
        return self.label.concept


@dataclass(frozen=True, slots=True)
class Place:
    """Text where a label's value may be, which kind of place it is, and where in its cell
    the text begins."""

    text: str
    kind: str
    row: int
    cell: Cell
    start: int = 0

    @property
    def weight(self) -> float:
        return PLACE_WEIGHT[self.kind]


def cell_labels(layout: Layout) -> list[list[tuple[Label, ...]]]:
    """The labels of every cell of `layout`, by row and cell; computed once per layout."""
    if "labels" not in layout.memo:
        layout.memo["labels"] = [
            [find_labels(cell.text) for cell in row.cells] for row in layout.rows
        ]
    return cast(list[list[tuple[Label, ...]]], layout.memo["labels"])


def labels_of(layout: Layout, concepts: frozenset[str]) -> Iterator[LabelAt]:
    """Every label of `concepts` in `layout`, in reading order."""
    for row_index, row_labels in enumerate(cell_labels(layout)):
        for cell_index, labels in enumerate(row_labels):
            for label in labels:
                if label.concept in concepts:
                    yield LabelAt(row_index, cell_index, label)


def opens_with_label(layout: Layout, row: int, cell: Cell) -> bool:
    """Whether `cell` (of row `row`) starts with a label, so that it is no value of another;
    a company whose name holds a label's word ("Lieferant GmbH") is no label."""
    labels = cell_labels(layout)[row][layout.rows[row].cells.index(cell)]
    if not labels or cell.text[: labels[0].start].strip(" :.-#("):
        return False
    return company_pattern().fullmatch(cell.text.strip()) is None


def places(layout: Layout, at: LabelAt) -> Iterator[Place]:
    """Where the value of the label `at` may be, in the order to look. Labels joined by a slash
    ("Rechnungsdatum/Lieferdatum") share the value after the last of them. When another label
    follows in its cell, its own value is the text between the two; with none there, the cell is
    a header of several columns ("Invoice date  Due date" printed close together) and each
    label's value stands under the label itself."""
    cell = layout.rows[at.row].cells[at.cell]
    end = at.label.end
    following = [label for label in cell_labels(layout)[at.row][at.cell] if label.start >= end]
    while following and _JOINED.fullmatch(cell.text[end : following[0].start]):
        end = following.pop(0).end
    if not following:
        yield from cell_places(layout, at.row, at.cell, end, label_start=at.label.start)
        return
    between = cell.text[end : following[0].start]
    yield Place(between, SAME, at.row, cell, end)
    if not between.strip(" :.-#") and layout.positioned:
        yield from _under(layout, at.row, _span(cell, at.label.start, end))


def cell_places(
    layout: Layout, row: int, cell_index: int, start: int, label_start: int = 0
) -> Iterator[Place]:
    """The places of a value that follows position `start` of a cell: the rest of the cell,
    the cells to its right, and the cell under the label (from `label_start` to `start`)."""
    cell = layout.rows[row].cells[cell_index]
    yield Place(cell.text[start:], SAME, row, cell, start)
    taken = 0
    for right in layout.right_of(row, cell_index):
        right_row = _row_of(layout, row, right)
        if opens_with_label(layout, right_row, right) or taken == _RIGHT_CELLS:
            break
        taken += 1
        yield Place(right.text, RIGHT, right_row, right)
    under = _span(cell, label_start, start) if layout.positioned and label_start else cell
    yield from _under(layout, row, under)


def _under(layout: Layout, row: int, cell: Cell) -> Iterator[Place]:
    below = layout.below(row, cell)
    if below is not None and not opens_with_label(layout, below[0], below[1]):
        yield Place(below[1].text, BELOW, below[0], below[1])


def _span(cell: Cell, start: int, end: int) -> Cell:
    """The part of a cell between two character offsets, its extent estimated by their share
    of the cell's text (a label in a cell of several)."""
    width = (cell.x1 - cell.x0) / max(len(cell.text), 1)
    return Cell(cell.text[start:end], cell.x0 + width * start, cell.x0 + width * end)


def _row_of(layout: Layout, near: int, cell: Cell) -> int:
    """The index of the row holding `cell`, looked for around row `near`."""
    for index in (near, near - 1, near + 1, near - 2, near + 2):
        if 0 <= index < len(layout.rows) and cell in layout.rows[index].cells:
            return index
    return near
