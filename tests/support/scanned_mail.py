"""Mails carrying scanned invoices, for the OCR tests and benchmarks: a page of a real invoice
rendered at 200 dpi in grey, as an image-only PDF or a JPEG photo attachment."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cache

import pypdfium2
from PIL import Image

from tests.support.paths import ROOT

REAL_DEV = ROOT / "tests" / "corpora" / "real-dev" / "mustangproject"
WHEN = datetime.now(UTC) - timedelta(days=2)


@cache
def page_image(name: str) -> Image.Image:
    """Page 1 of a real invoice PDF rendered at 200 dpi, in grey, as a scanner would."""
    pdf = pypdfium2.PdfDocument((REAL_DEV / name).read_bytes())
    return pdf[0].render(scale=200 / 72).to_pil().convert("L")


def image_only_pdf(name: str) -> bytes:
    """The page as an image-only PDF: no text layer."""
    out = io.BytesIO()
    page_image(name).save(out, "PDF", resolution=200)
    return out.getvalue()


def jpeg_photo(name: str) -> bytes:
    out = io.BytesIO()
    page_image(name).save(out, "JPEG", quality=85)
    return out.getvalue()


def mail_with(
    subject: str, sender: str, filename: str, kind: str, payload: bytes, when: datetime = WHEN
) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "me@example.com", subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain="scans.example")
    msg.set_content("Please find the invoice attached.\n")
    maintype, subtype = kind.split("/")
    msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def scanned_pdf_mail() -> bytes:
    pdf = image_only_pdf("zugferd_invoice.pdf")
    return mail_with(
        "Rechnung 2014-03", "Kraxi <billing@kraxi.example>", "scan.pdf", "application/pdf", pdf
    )


def photo_mail() -> bytes:
    photo = jpeg_photo("MustangBeispiel20221026.pdf")
    return mail_with(
        "Invoice RE1001", "weclapp <billing@weclapp.example>", "IMG_2041.jpg", "image/jpeg", photo
    )
