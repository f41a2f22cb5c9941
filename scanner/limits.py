"""How much of one mail the scanner is willing to read: the guard rails against hostile mail."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ScanLimits:
    """Bounds on one mail's parts. A part beyond a bound is skipped with a reason, never read."""

    # An attachment larger than this is not downloaded: invoices are rarely above a few MB.
    max_attachment_bytes: int = 15 * 1024 * 1024
    # Attachments read per message (and per forwarded message): bounds one hostile mail's cost.
    max_attachments: int = 50
    # MIME nesting (multiparts and forwarded messages) deeper than this is not walked.
    max_depth: int = 20
    # Pages of a PDF whose text is read; an invoice's fields are on its first pages.
    max_pdf_pages: int = 20
    # Bytes a PDF or XML part may decompress to, against compression bombs.
    max_decompressed_bytes: int = 64 * 1024 * 1024
    # PDFium reads a PDF's words in a process of its own (scanner/extraction/pdf_sandbox.py),
    # within this time per PDF and this address space: a PDF that needs more is unreadable.
    max_pdf_seconds: float = 15.0
    max_pdf_reader_bytes: int = 1024 * 1024 * 1024
    # OCR (scanner/ocr) reads this many pages of a scanned PDF or frames of an image (about half
    # a second to a second each at 200 dpi): an invoice's fields are on its first pages.
    max_ocr_pages: int = 5
    # A page image with more pixels is refused before it is decoded (decompression bombs); an
    # A4 page at 600 dpi has 35 million, a 48-megapixel phone photo 48 million.
    max_ocr_pixels: int = 50_000_000
    # Tesseract reads in a process of its own (scanner/ocr/sandbox.py), within this time per
    # page and this address space: a document that needs more is unreadable.
    max_ocr_page_seconds: float = 30.0
    max_ocr_reader_bytes: int = 1024 * 1024 * 1024


DEFAULT_LIMITS = ScanLimits()
