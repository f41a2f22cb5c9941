"""Which parts of a mail go to OCR: a PDF with no text worth the name, and the images of a mail
that is about an invoice. The scan calls these before queueing OCR work.
"""

from __future__ import annotations

from scanner.extraction.fetching import what_it_is
from scanner.extraction.layout import Layout
from scanner.extraction.vocabulary import INVOICE

# A PDF with fewer letters and digits than this on its pages is read as a scan. The shortest
# text layer among the 62 real invoices of tests/corpora has 556 (MustangBeispiel20221026.pdf,
# a one-page invoice); a scanner's text stamp ("Scanned with ...", a page number) has a few dozen.
MIN_TEXT_CHARS = 100
# The image types Tesseract's reader opens (Pillow): by MIME type and by file name.
IMAGE_TYPES = frozenset({"image/jpeg", "image/pjpeg", "image/png", "image/tiff", "image/webp"})
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".webp")


def needs_ocr_pdf(layout_or_text: Layout | str) -> bool:
    """Whether a PDF whose text layer reads as `layout_or_text` is a scan to OCR: no text, or
    too little to be an invoice."""
    if isinstance(layout_or_text, Layout):
        text = "".join(layout_or_text.lines)
    else:
        text = layout_or_text
    return sum(1 for char in text if char.isalnum()) < MIN_TEXT_CHARS


def is_image(filename: str, content_type: str) -> bool:
    """Whether a part is an image OCR reads (JPEG, PNG, TIFF, WebP), by its type or name."""
    kind = content_type.lower().split(";")[0].strip()
    return kind in IMAGE_TYPES or filename.lower().endswith(IMAGE_SUFFIXES)


def ocr_candidate_image(filename: str, content_type: str, subject: str, body: str) -> bool:
    """Whether an image attachment could be a photographed or scanned invoice: an image whose
    file name names an invoice ("Rechnung_0815.jpg"), or, with a name that tells nothing
    ("IMG_2041.jpg"), a mail whose subject or body speaks of one and of nothing else. A logo in
    a newsletter's signature, a photo in a meeting mail, are left alone."""
    if not is_image(filename, content_type):
        return False
    named, about = what_it_is(filename, subject, body)
    if named is not None:
        return named == INVOICE
    return about == {INVOICE}
