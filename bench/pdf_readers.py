"""The PDF readers compared when the scanner's was chosen, each giving a layout of a PDF.

* pypdfium2 (PDFium, the scanner's): `PdfDocument.layout()`, words with boxes, guarded by pypdf;
* pdfplumber (pdfminer.six): `extract_words()`, words with boxes;
* pypdf's layout mode: `extract_text(extraction_mode="layout")`, a fixed-width text whose
  character columns stand in for positions;
* pypdf's plain text: `extract_text()`, the scanner's reading before layouts (no positions).
All read the first pages within the scan's page limit; the field readers are the same for all.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pdfplumber
from pypdf import PdfReader

from scanner.extraction.layout import Cell, Layout, Row, Word, layout_of_text, rows_from_words
from scanner.extraction.pdf_text import PdfDocument
from scanner.limits import DEFAULT_LIMITS

_GAP = re.compile(r" {2,}")


def pdfium_layout(pdf: bytes) -> Layout:
    return PdfDocument(pdf, DEFAULT_LIMITS).layout()


def plumber_layout(pdf: bytes) -> Layout:
    rows: list[Row] = []
    sizes = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for index, page in enumerate(document.pages[: DEFAULT_LIMITS.max_pdf_pages]):
            words = [
                Word(w["text"], w["x0"], w["x1"], w["top"], w["bottom"])
                for w in page.extract_words()
                if w.get("upright", True)
            ]
            rows += rows_from_words(words, index)
            sizes.append((page.width, page.height))
    return Layout(rows, sizes)


def pypdf_layout_mode(pdf: bytes) -> Layout:
    """Each page's fixed-width text as rows, a character column standing for a position."""
    rows: list[Row] = []
    sizes = []
    reader = PdfReader(io.BytesIO(pdf))
    for index, page in enumerate(reader.pages[: DEFAULT_LIMITS.max_pdf_pages]):
        lines = page.extract_text(extraction_mode="layout").splitlines()
        for number, line in enumerate(lines):
            cells, position = [], 0
            for piece in _GAP.split(line):
                start = line.find(piece, position)
                if piece.strip():
                    cells.append(
                        Cell(" ".join(piece.split()), float(start), float(start + len(piece)))
                    )
                position = start + len(piece)
            if cells:
                rows.append(Row(tuple(cells), float(number), float(number) + 1, index))
        sizes.append((float(max((len(line) for line in lines), default=1)), float(len(lines) or 1)))
    return Layout(rows, sizes)


def pypdf_plain(pdf: bytes) -> Layout:
    return layout_of_text(PdfDocument(pdf, DEFAULT_LIMITS).text())


READERS: dict[str, Callable[[bytes], Layout]] = {
    "pypdfium2 (chosen)": pdfium_layout,
    "pdfplumber": plumber_layout,
    "pypdf layout mode": pypdf_layout_mode,
    "pypdf plain text (before)": pypdf_plain,
}
