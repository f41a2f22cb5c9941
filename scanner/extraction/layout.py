"""A document as laid out: rows of cells with their positions, read top to bottom.

A PDF's words (with their boxes) are grouped into rows, a row being the words whose boxes share
a line, and each row into cells where a gap wider than about a letter's height parts its words:
a label and its value, or the columns of a table. Text without positions (a mail body, an HTML
receipt) becomes a layout too, a row per line, its cells parted by tabs or runs of spaces, with
character columns as positions. Field readers then look for a label's value where a person
looks: after it in its cell, in the next cell to its right, or under it in the same column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from statistics import median

# A gap wider than this share of the words' height parts two cells (a word space is about 0.3).
CELL_GAP = 0.8
# How far below a label its value may stand: this many heights of the label's row.
BELOW_REACH = 3.5
# Text is cut here: invoices put their fields on their first pages.
MAX_TEXT_CHARS = 60_000
# A row holds at most this many cells, the rest joined into its last: an invoice's widest table
# has a dozen columns, and readers look along a row for each of its cells.
MAX_CELLS = 48
_TEXT_CELL_GAP = re.compile(r"\t| {2,}|\u00a0{2,}")


@dataclass(frozen=True, slots=True)
class Word:
    """A word and its box, in points from the page's top left corner."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float


@dataclass(frozen=True, slots=True)
class Cell:
    """Words of one row that belong together, and their horizontal extent."""

    text: str
    x0: float
    x1: float


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a page: its cells left to right and its vertical extent."""

    cells: tuple[Cell, ...]
    top: float
    bottom: float
    page: int = 0

    @property
    def text(self) -> str:
        """The row as a line of text, a tab between cells."""
        return "\t".join(cell.text for cell in self.cells)

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1e-3)


@dataclass(slots=True)
class Layout:
    """The rows of a document in reading order, and each page's size."""

    rows: list[Row]
    page_sizes: list[tuple[float, float]] = field(default_factory=list)
    positioned: bool = True  # False for text: positions are character columns
    # What readers derive from the layout once and share (the labels of its cells).
    memo: dict[str, object] = field(default_factory=dict)
    _lines: list[str] | None = None

    @property
    def lines(self) -> list[str]:
        """Each row's text, a tab between cells."""
        if self._lines is None:
            self._lines = [row.text for row in self.rows]
        return self._lines

    def relative_top(self, index: int) -> float:
        """How far down its page row `index` starts, 0 at the top and 1 at the bottom."""
        row = self.rows[index]
        if row.page < len(self.page_sizes):
            return row.top / max(self.page_sizes[row.page][1], 1.0)
        return index / max(len(self.rows), 1)

    def in_head(self, index: int, share: float, text_rows: int) -> bool:
        """Whether row `index` is in the head of the document: on the first page, above `share`
        of its height; in text without positions, among its first `text_rows` rows."""
        if not self.positioned:
            return index < text_rows
        return self.rows[index].page == 0 and self.relative_top(index) < share

    def right_of(self, index: int, cell_index: int) -> Iterator[Cell]:
        """The cells to the right of a cell: on its row, then on rows that share its line (a
        value set a little lower or higher than its label)."""
        row = self.rows[index]
        yield from row.cells[cell_index + 1 :]
        if not self.positioned:
            return
        left = row.cells[cell_index].x1
        for other in self._rows_near(index):
            if abs(other.top - row.top) < 0.8 * row.height:
                yield from (cell for cell in other.cells if cell.x0 >= left)

    def below(self, index: int, cell: Cell, reach: float = BELOW_REACH) -> tuple[int, Cell] | None:
        """The first cell under `cell` in its column, with its row's index: on the next rows of
        the same page within `reach` heights of its row, the one overlapping it most. In text
        without positions only the next row is looked at, where a row with as many cells is read
        as a table row (the cell at the same place), else by character column."""
        row = self.rows[index]
        if not self.positioned:
            if index + 1 >= len(self.rows):
                return None
            other = self.rows[index + 1]
            if len(other.cells) == len(row.cells) and cell in row.cells:
                return index + 1, other.cells[row.cells.index(cell)]
            overlapping = [c for c in other.cells if _overlap(c, cell) > 0]
            return (index + 1, overlapping[0]) if overlapping else None
        for below_index in range(index + 1, min(index + 6, len(self.rows))):
            other = self.rows[below_index]
            if other.page != row.page or other.top - row.bottom > reach * row.height:
                return None
            overlapping = [c for c in other.cells if _overlap(c, cell) > 0]
            if overlapping:
                return below_index, max(overlapping, key=lambda c: _overlap(c, cell))
        return None

    def _rows_near(self, index: int) -> Iterator[Row]:
        for other_index in (index - 2, index - 1, index + 1, index + 2):
            if 0 <= other_index < len(self.rows):
                other = self.rows[other_index]
                if other.page == self.rows[index].page:
                    yield other


def _overlap(one: Cell, other: Cell) -> float:
    return min(one.x1, other.x1) - max(one.x0, other.x0)


def rows_from_words(words: Iterable[Word], page: int) -> list[Row]:
    """A page's words as rows, top to bottom, each split into cells at wide gaps."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.top + w.bottom) / 2):
        centre = (word.top + word.bottom) / 2
        if lines:
            current = lines[-1]
            top = median(w.top for w in current)
            bottom = median(w.bottom for w in current)
            if top <= centre <= bottom:
                current.append(word)
                continue
        lines.append([word])
    return [_row(line, page) for line in lines]


def _row(words: list[Word], page: int) -> Row:
    words.sort(key=lambda w: w.x0)
    cells: list[Cell] = []
    run: list[Word] = []
    for word in words:
        if run:
            height = min(run[-1].bottom - run[-1].top, word.bottom - word.top)
            if word.x0 - run[-1].x1 > CELL_GAP * max(height, 1.0):
                cells.append(_cell(run))
                run = []
        run.append(word)
    cells.append(_cell(run))
    return Row(
        _capped(cells),
        top=min(w.top for w in words),
        bottom=max(w.bottom for w in words),
        page=page,
    )


def _cell(words: list[Word]) -> Cell:
    return Cell(" ".join(w.text for w in words), words[0].x0, max(w.x1 for w in words))


def layout_of_text(text: str) -> Layout:
    """Plain text (or HTML turned to text) as a layout: a row per non-empty line, its cells
    parted by a tab or a run of spaces, positioned by their character column."""
    rows = []
    for number, raw in enumerate(text[:MAX_TEXT_CHARS].splitlines()):
        line = raw.expandtabs(8)
        cells = []
        position = 0
        for piece in _TEXT_CELL_GAP.split(line):
            start = line.find(piece, position) if piece else position
            words = " ".join(piece.split())
            if words:
                cells.append(Cell(words, float(start), float(start + len(piece.rstrip()))))
            position = start + len(piece)
        if cells:
            rows.append(Row(_capped(cells), top=float(number), bottom=float(number) + 1))
    return Layout(rows, positioned=False)


def _capped(cells: list[Cell]) -> tuple[Cell, ...]:
    """At most MAX_CELLS cells: the last one holds the rest of the row."""
    if len(cells) <= MAX_CELLS:
        return tuple(cells)
    rest = cells[MAX_CELLS - 1 :]
    joined = Cell(" ".join(cell.text for cell in rest), rest[0].x0, rest[-1].x1)
    return (*cells[: MAX_CELLS - 1], joined)
