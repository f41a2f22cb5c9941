"""OCR of scanned PDFs and photographed invoices (Tesseract), read like a PDF's text.

The package exports the decisions a scan makes about a part; the reader itself is
`scanner.ocr.reader` (it builds a FoundInvoice of scanner.invoices, which asks these decisions:
importing the reader here would make the two modules import each other)."""

from scanner.ocr.decide import is_image, needs_ocr_pdf, ocr_candidate_image
from scanner.ocr.engine import ocr_unavailable

__all__ = ["is_image", "needs_ocr_pdf", "ocr_candidate_image", "ocr_unavailable"]
