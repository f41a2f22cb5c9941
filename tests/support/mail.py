"""Generated mails for tests: plain notes, text invoices and PDF-attachment invoices."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


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
        b"%PDF-1.4\n% minimal\n%%EOF\n",
        maintype="application",
        subtype="pdf",
        filename=f"invoice-{index:05d}.pdf",
    )
    return msg.as_bytes()
