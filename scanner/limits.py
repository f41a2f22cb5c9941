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


DEFAULT_LIMITS = ScanLimits()
