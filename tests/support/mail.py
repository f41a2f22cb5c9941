"""Generated mails for tests: plain notes, text invoices and PDF-attachment invoices."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cache

from fpdf import FPDF


def plain_mail(index: int, sent: object, *, subject: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Colleague {index} <colleague{index}@example.org>"
    msg["To"] = "me@example.com"
    msg["Subject"] = subject or f"Lunch on day {index}?"
    msg["Date"] = format_datetime(sent)  # type: ignore[arg-type]
    msg["Message-ID"] = make_msgid(domain="example.org")
    msg.set_content(f"Hello, shall we meet on day {index}?\n")
    return msg.as_bytes()


def text_invoice(index: int, sent: object) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Acme Hosting <billing@acme.example>"
    msg["To"] = "me@example.com"
    msg["Subject"] = f"Your invoice INV-{index:05d}"
    msg["Date"] = format_datetime(sent)  # type: ignore[arg-type]
    msg["Message-ID"] = make_msgid(domain="acme.example")
    msg.set_content(
        f"Invoice number: INV-{index:05d}\nSubtotal: 100.00 EUR\nTotal: 119.00 EUR\nThank you.\n"
    )
    return msg.as_bytes()


def pdf_invoice(index: int, sent: object) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Office Supplies Ltd <invoices@office.example>"
    msg["To"] = "me@example.com"
    msg["Subject"] = f"Invoice {index:05d} attached"
    msg["Date"] = format_datetime(sent)  # type: ignore[arg-type]
    msg["Message-ID"] = make_msgid(domain="office.example")
    msg.set_content("Please find your invoice attached.\n")
    msg.add_attachment(
        invoice_pdf(f"OS-{index:05d}"),
        maintype="application",
        subtype="pdf",
        filename=f"invoice-{index:05d}.pdf",
    )
    return msg.as_bytes()


@cache
def invoice_pdf(number: str) -> bytes:
    """A one-page text PDF invoice, as an office supplier's billing system would send."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for line in (
        "Office Supplies Ltd",
        f"Invoice No.: {number}",
        "Invoice date: 05/03/2026",
        "Paper, 10 boxes      100.00 EUR",
        "Subtotal: 100.00 EUR",
        "VAT 19%: 19.00 EUR",
        "Total: 119.00 EUR",
    ):
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def long_pdf_invoice(index: int, sent: object, pages: int = 20) -> bytes:
    """A mail with a `pages`-page PDF invoice (the total on its last page): the scan reads the
    text of every page (up to SCAN_MAX_PDF_PAGES), some 70 ms of CPU for 20 pages."""
    msg = EmailMessage()
    msg["From"] = "Office Supplies Ltd <invoices@office.example>"
    msg["To"] = "me@example.com"
    msg["Subject"] = f"Invoice {index:05d} attached"
    msg["Date"] = format_datetime(sent)  # type: ignore[arg-type]
    msg["Message-ID"] = make_msgid(domain="office.example")
    msg.set_content("Please find your invoice attached.\n")
    msg.add_attachment(
        long_invoice_pdf(f"OS-{index:05d}", pages),
        maintype="application",
        subtype="pdf",
        filename=f"invoice-{index:05d}.pdf",
    )
    return msg.as_bytes()


def long_invoice_pdf(number: str, pages: int) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for page in range(pages):
        pdf.add_page()
        if page == 0:
            for line in (
                "Office Supplies Ltd",
                f"Invoice No.: {number}",
                "Invoice date: 05/03/2026",
            ):
                pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
        for item in range(28):
            pdf.cell(
                0,
                8,
                f"Item {page}-{item}: paper, box of ten    1.00 EUR",
                new_x="LMARGIN",
                new_y="NEXT",
            )
    for line in ("Subtotal: 100.00 EUR", "VAT 19%: 19.00 EUR", "Total: 119.00 EUR"):
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
