"""OCR of scanned PDFs and photographed invoices (Tesseract), read like a PDF's text."""

from scanner.ocr.decide import is_image, needs_ocr_pdf, ocr_candidate_image
from scanner.ocr.engine import ocr_unavailable
from scanner.ocr.reader import read_ocr_invoice, read_ocr_layout

__all__ = [
    "is_image",
    "needs_ocr_pdf",
    "ocr_candidate_image",
    "ocr_unavailable",
    "read_ocr_invoice",
    "read_ocr_layout",
]
