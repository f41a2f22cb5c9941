"""The words of a PDF page with their boxes, read with PDFium (pypdfium2).

PDFium was chosen by measurement over pdfminer (pdfplumber) and pypdf's layout mode on the real
invoices of tests/corpora: the field accuracy of pdfplumber at a third of its time per page,
within 2x of pypdf's plain text, which reads no positions (BENCHMARKS.md, "Reading PDF
text"). PDFium decompresses what it reads without a limit of its own, so
`pdf_text.PdfDocument` has pypdf decode every stream of a page, within the scan's limits, before
PDFium opens it.

Characters come one by one with their loose box (the font's ascent to descent, the same height
for every letter of a line) and the code point PDFium decoded; a word ends at white space
(PDFium also generates spaces where a PDF only moved its pen), at a gap of half a letter's
height or more, or where the text goes back or jumps lines. Rotated text (a watermark up the
margin) is left out: no field of an invoice is printed sideways.
"""

from __future__ import annotations

import math

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from scanner.extraction.layout import Word

# A gap this share of the letters' height ends a word even without a space between them.
_WORD_GAP = 0.5
# Characters turned further than this (radians) are not horizontal text.
_MAX_ANGLE = 0.05


def page_words(page: pdfium.PdfPage, max_chars: int) -> tuple[list[Word], int]:
    """The horizontal words of `page`, in the order PDFium read them, and how many characters
    that took; at most `max_chars` characters are read."""
    height = page.get_height()
    textpage = page.get_textpage()
    try:
        count = min(textpage.count_chars(), max_chars)
        return _words(textpage, count, height), count
    finally:
        textpage.close()


def _words(textpage: pdfium.PdfTextPage, count: int, page_height: float) -> list[Word]:
    raw = textpage.raw
    rect = pdfium_c.FS_RECTF()
    words: list[Word] = []
    letters: list[str] = []
    box = [0.0, 0.0, 0.0, 0.0]  # x0, x1, top, bottom of the word being read

    def end_word() -> None:
        if letters:
            words.append(Word("".join(letters), box[0], box[1], box[2], box[3]))
            letters.clear()

    for index in range(count):
        code = pdfium_c.FPDFText_GetUnicode(raw, index)
        char = chr(code) if 0 < code < 0x110000 else " "
        if char.isspace() or char == "\ufffe" or 0xD800 <= code <= 0xDFFF:
            end_word()
            continue
        if not _horizontal(pdfium_c.FPDFText_GetCharAngle(raw, index)):
            end_word()
            continue
        if not pdfium_c.FPDFText_GetLooseCharBox(raw, index, rect):
            continue
        x0, x1 = rect.left, rect.right
        y0, y1 = page_height - rect.top, page_height - rect.bottom
        if x1 - x0 <= 0 and y1 - y0 <= 0:
            continue  # a character without a glyph box (a control or an empty glyph)
        letter_height = max(y1 - y0, 1.0)
        if letters:
            gap = x0 - box[1]
            centre = (y0 + y1) / 2
            if (
                gap > _WORD_GAP * letter_height
                or gap < -letter_height
                or not (box[2] - letter_height / 2 <= centre <= box[3] + letter_height / 2)
            ):
                end_word()
        if not letters:
            box[:] = [x0, x1, y0, y1]
        else:
            box[:] = [min(box[0], x0), max(box[1], x1), min(box[2], y0), max(box[3], y1)]
        letters.append(char)
    end_word()
    return words


def _horizontal(angle: float) -> bool:
    """Whether a character's angle (radians, 0 to 2 pi; -1 when PDFium cannot tell) is level."""
    return angle < _MAX_ANGLE or angle > 2 * math.pi - _MAX_ANGLE
