"""The OCR reader (scanner/ocr): real invoice pages rendered to images, upright, sideways and
skewed, read with the right fields; hostile images refused quickly without the worker's memory
growing; the decisions of which parts go to OCR."""

from __future__ import annotations

import io
import random
import resource
import time
from datetime import date
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from PIL import Image

from models.enums import InvoiceSource
from scanner.extraction.fields import TextHints
from scanner.extraction.layout import layout_of_text
from scanner.extraction.record import Unreadable
from scanner.ocr import needs_ocr_pdf, ocr_candidate_image, ocr_unavailable
from scanner.ocr.pages import DPI
from scanner.ocr.reader import read_ocr_invoice
from tests.support.hostile_images import huge_tiff, png_bomb
from tests.support.paths import CORPORA

HETZNER = CORPORA / "real-dev" / "zugferd-corpus" / "RE-E-974-Hetzner_2016-01-19_R0005532486.pdf"
HINTS = TextHints(subject="Ihre Rechnung", sender="buchhaltung@example.org")


def _page_image() -> Image.Image:
    document = pdfium.PdfDocument(HETZNER.read_bytes())
    try:
        return document[0].render(scale=DPI / 72).to_pil().convert("L")
    finally:
        document.close()


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.mark.parametrize(
    "turn",
    [
        pytest.param(lambda im: im, id="upright"),
        pytest.param(lambda im: im.rotate(90, expand=True, fillcolor=255), id="sideways"),
        pytest.param(
            lambda im: im.rotate(3, Image.Resampling.BICUBIC, expand=True, fillcolor=255),
            id="skewed-3-degrees",
        ),
    ],
)
def test_a_photographed_real_invoice_reads_with_its_fields(turn) -> None:
    invoice = read_ocr_invoice(
        _jpeg(turn(_page_image())), "scan.jpg", "image/jpeg", HINTS, part_key="2"
    )
    assert invoice is not None
    assert invoice.source is InvoiceSource.OCR
    assert (invoice.part_key, invoice.attachment_name) == ("2", "scan.jpg")
    assert invoice.vendor == "Hetzner Online GmbH"
    assert invoice.invoice_number == "R0005532486"
    assert invoice.issue_date == date(2016, 1, 19)
    assert (invoice.total_amount, invoice.currency) == (Decimal("104.00"), "EUR")
    # Confidence is the extraction's times the OCR's quality: never above the word confidence.
    assert invoice.confidence.invoice_number is not None
    assert 0.5 < invoice.confidence.invoice_number < 0.97


def test_an_image_only_pdf_reads_as_ocr() -> None:
    page = _page_image()
    pdf = io.BytesIO()
    page.save(pdf, "PDF", resolution=DPI)
    invoice = read_ocr_invoice(pdf.getvalue(), "scan.pdf", "application/pdf", HINTS)
    assert invoice is not None
    assert (invoice.source, invoice.invoice_number) == (InvoiceSource.OCR, "R0005532486")


@pytest.mark.parametrize(
    ("name", "kind", "payload", "reason"),
    [
        ("bomb.png", "image/png", png_bomb(60_000), "over the limit of 50000000 pixels"),
        ("huge.tiff", "image/tiff", huge_tiff(20_000), "over the limit of 50000000 pixels"),
        ("scan.jpg", "image/jpeg", random.Random(15).randbytes(64 * 1024), "not a readable image"),
    ],
    ids=["decompression-bomb-png", "20000-square-tiff", "random-bytes-jpg"],
)
def test_hostile_images_are_unreadable_quickly_and_memory_stays_flat(
    name, kind, payload, reason
) -> None:
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(Unreadable) as refused:
        read_ocr_invoice(payload, name, kind, HINTS)
    assert reason in str(refused.value)
    assert time.monotonic() - started < 15  # refused before decoding, not after gigabytes
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grown_kib < 64 * 1024


def test_ocr_unavailable_names_the_missing_models(tmp_path, monkeypatch) -> None:
    assert ocr_unavailable() is None
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    assert ocr_unavailable() == (
        f"OCR is off: Tesseract's eng and osd model is missing from {tmp_path} "
        "(install Debian's tesseract-ocr, or set TESSDATA_PREFIX)."
    )


def test_a_pdf_without_enough_text_needs_ocr() -> None:
    assert needs_ocr_pdf("") is True
    assert needs_ocr_pdf(layout_of_text("Scanned with CamScanner\n1/1")) is True
    # 99 letters and digits (punctuation and spaces do not count) are too few, 100 enough.
    assert needs_ocr_pdf("Rechnung: 1234567 / " + "Beratung 100,00 EUR; " * 5 + "x" * 4) is True
    assert needs_ocr_pdf("Rechnung: 1234567 / " + "Beratung 100,00 EUR; " * 5 + "x" * 5) is False


@pytest.mark.parametrize(
    ("filename", "content_type", "subject", "body", "expected"),
    [
        ("Rechnung_0815.jpg", "image/jpeg", "Hallo", "", True),
        ("IMG_2041.jpg", "image/jpeg", "Invoice for March", "", True),
        ("IMG_2041.HEIC.png", "application/octet-stream", "Fwd: Rechnung", "", True),
        ("scan.webp", "image/webp", "", "anbei die Rechnung vom Handwerker", True),
        ("IMG_2041.jpg", "image/jpeg", "Meeting notes", "photos of the whiteboard", False),
        ("logo.png", "image/png", "Our newsletter", "news about invoices", False),
        ("IMG_2041.jpg", "image/jpeg", "Quote and invoice", "", False),
        ("Rechnung.pdf", "application/pdf", "Rechnung", "", False),
        ("angebot.jpg", "image/jpeg", "Rechnung", "", False),
    ],
)
def test_which_images_are_ocr_candidates(filename, content_type, subject, body, expected) -> None:
    assert ocr_candidate_image(filename, content_type, subject, body) is expected


def test_a_pdf_pdfium_refuses_is_rendered_by_poppler(monkeypatch) -> None:
    """PDFium refusing a file (as it does some damaged ones) leaves poppler's pdftoppm to
    render it, at the same resolution."""
    from scanner.ocr import pages

    def refuse(*args: object, **kwargs: object) -> None:
        raise pages.pdfium.PdfiumError("refused in the test")

    payload = HETZNER.read_bytes()
    monkeypatch.setattr(pages.pdfium, "PdfDocument", refuse)
    [page] = list(pages.pdf_pages(payload, 1, 50_000_000))
    width, height = page.image.size
    assert (round(width * page.points_per_pixel), round(height * page.points_per_pixel)) == (
        595,
        842,
    )
    monkeypatch.setattr(pages.shutil, "which", lambda name: None)
    with pytest.raises(Unreadable, match="not a readable PDF \\(refused in the test\\)"):
        list(pages.pdf_pages(payload, 1, 50_000_000))
