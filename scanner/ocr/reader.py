"""An invoice read from a scan: a PDF of page images or a photo, through Tesseract's words and
the same layout-aware extraction as a PDF's text.

Confidence: each field's confidence from the extraction is multiplied by the mean confidence
Tesseract gave the document's words (each word weighted by its letters), over the pages read.
The extraction does not tell which words a field came from (a label and its value, a total
checked against the lines above it), and what makes OCR err (resolution, blur, noise, skew) is
a property of the whole scan rather than of one word; the mean of the page would serve as well
but a document with a clean first page and a smeared second one should not look clean.
"""

from __future__ import annotations

from dataclasses import replace

from models.enums import InvoiceSource
from scanner.extraction.detection import MailContext, is_invoice_attachment
from scanner.extraction.fields import TextHints, read_fields
from scanner.extraction.language import language_of
from scanner.extraction.layout import Layout, Row, Word, rows_from_words
from scanner.extraction.parties import from_person
from scanner.extraction.pdf_text import looks_like_pdf
from scanner.extraction.record import Confidence, InvoiceFields
from scanner.invoices import FoundInvoice
from scanner.limits import DEFAULT_LIMITS, ScanLimits
from scanner.ocr.recognise import OcrWord
from scanner.ocr.sandbox import OcrPages, read_pages


def read_ocr_layout(
    payload: bytes, filename: str, content_type: str, language: str, limits: ScanLimits
) -> tuple[Layout, float]:
    """The layout of a scanned PDF or an image, and the mean confidence (0-1) of its words;
    Unreadable when it cannot be read within the limits."""
    kind = "pdf" if looks_like_pdf(filename, content_type, payload) else "image"
    read = read_pages(
        payload,
        kind,
        language,
        pages=limits.max_ocr_pages,
        pixels=limits.max_ocr_pixels,
        page_seconds=limits.max_ocr_page_seconds,
        memory_bytes=limits.max_ocr_reader_bytes,
    )
    return layout_of_pages(read), mean_confidence(read)


def layout_of_pages(read: OcrPages) -> Layout:
    """The pages' words as one layout, page by page as a PDF's are."""
    rows: list[Row] = []
    for index, words in enumerate(read.pages):
        rows.extend(rows_from_words((_word(word) for word in words), index))
    return Layout(rows, read.sizes)


def mean_confidence(read: OcrPages) -> float:
    """Tesseract's mean word confidence, each word weighted by its length, as 0-1 (0 when no
    word was read)."""
    weight = total = 0.0
    for page in read.pages:
        for word in page:
            weight += len(word.text)
            total += len(word.text) * word.confidence
    return total / weight / 100 if weight else 0.0


def read_ocr_invoice(
    payload: bytes,
    filename: str,
    content_type: str,
    hints: TextHints,
    limits: ScanLimits = DEFAULT_LIMITS,
    *,
    part_key: str = "",
    body: str = "",
) -> FoundInvoice | None:
    """The invoice a scan or photo attachment holds, None when it is not an invoice (by the same
    rules as a PDF's text: `is_invoice_attachment` on its words, its name and its mail, `body`
    being the start of the mail's text); Unreadable when it cannot be read."""
    language = language_of(f"{hints.subject}\n{body[:3000]}")
    layout, quality = read_ocr_layout(payload, filename, content_type, language, limits)
    context = MailContext(hints.subject, body[:3000], from_person(hints.sender))
    if not is_invoice_attachment(layout.lines, filename, context):
        return None
    fields = scaled(read_fields(layout, hints), quality)
    return FoundInvoice.of(part_key or filename, InvoiceSource.OCR, filename, fields)


def scaled(fields: InvoiceFields, quality: float) -> InvoiceFields:
    """`fields` with each confidence multiplied by the OCR's `quality` (0-1)."""
    factor = min(max(quality, 0.0), 1.0)
    scores = {
        name: None if score is None else round(score * factor, 4)
        for name, score in fields.confidence.as_dict().items()
    }
    return replace(fields, confidence=Confidence(**scores))


def _word(word: OcrWord) -> Word:
    return Word(word.text, word.x0, word.x1, word.top, word.bottom)
