"""Whole mails: which parts give invoices, bodies in HTML and text, forwards, vendors, errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from email.message import EmailMessage

import pytest

from models.enums import InvoiceSource
from scanner.extraction.fields import read_fields
from scanner.extraction.layout import layout_of_text
from scanner.invoices import FoundInvoice, find_invoices
from scanner.limits import DEFAULT_LIMITS
from scanner.messages import Attachment, ParsedMessage, SkippedPart, parse_message
from tests.scanner.test_extraction_pdf import DE, EN_GB, make_pdf

SHOP = '"Acme Hosting Ltd" <billing@acme.example>'


def mail(
    subject: str,
    text: str | None = "Hello",
    *,
    html: str | None = None,
    sender: str = SHOP,
    pdfs: tuple[tuple[str, bytes], ...] = (),
    message_id: str = "<m1@acme.example>",
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "me@keller.example", subject
    msg["Date"], msg["Message-ID"] = "Thu, 05 Mar 2026 10:00:00 +0100", message_id
    if text is not None:
        msg.set_content(text)
    if html is not None:
        if text is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    for name, data in pdfs:
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return msg


def invoices_of(msg: EmailMessage) -> list[FoundInvoice]:
    findings = find_invoices(parse_message(msg.as_bytes()))
    assert findings.unreadable == []
    return findings.invoices


HTML_RECEIPT = """<html><head><style>td{color:red}</style></head><body>
<div>Receipt from Redwood Stock Imagery, Inc.</div>
<p>Receipt #RSI-88412-2026 &middot; Date paid: October 19, 2026</p>
<table>
<tr><td>Extended licence</td><td>$79.00</td></tr>
<tr><td>Subtotal</td><td>$128.00</td></tr>
<tr><td>Sales tax</td><td>$10.56</td></tr>
<tr><th>Amount paid</th><th>$138.56</th></tr>
</table><script>track()</script></body></html>"""


def test_html_receipt_body() -> None:
    [found] = invoices_of(
        mail(
            "Your receipt from Redwood",
            None,
            html=HTML_RECEIPT,
            sender='"Redwood Stock" <receipts@redwoodstock.example>',
        )
    )
    assert (found.source, found.part_key, found.attachment_name) == (
        InvoiceSource.HTML,
        "body",
        None,
    )
    assert (found.vendor, found.invoice_number, found.issue_date) == (
        "Redwood Stock",
        "RSI-88412-2026",
        date(2026, 10, 19),
    )
    assert (found.total_amount, found.currency, found.due_date) == (Decimal("138.56"), "USD", None)


def test_html_is_read_before_the_plain_text_of_the_same_body() -> None:
    text = "Receipt #RSI-1\nAmount paid: $1.00"
    [found] = invoices_of(mail("Your receipt", text, html=HTML_RECEIPT))
    assert (found.source, found.total_amount) == (InvoiceSource.HTML, Decimal("138.56"))


@pytest.mark.parametrize(
    ("subject", "text", "number", "issued", "due", "total", "currency"),
    [
        (
            "Your invoice INV-00077",
            "Invoice number: INV-00077\nSubtotal: 100.00 EUR\nTax: 19.00 EUR\nTotal: 119.00 EUR\n",
            "INV-00077",
            None,
            None,
            "119.00",
            "EUR",
        ),
        (
            "Ihre Rechnung",
            "Guten Tag,\n\nRechnungsnummer: 2026-019\nRechnungsdatum: 3. November 2026\n"
            "Fällig am: 17.11.2026\nZwischensumme 336,00 €\nMwSt. 19 % 63,84 €\n"
            "Gesamtbetrag 399,84 €\n\nViele Grüße\nAtelier Moreau\n",
            "2026-019",
            date(2026, 11, 3),
            date(2026, 11, 17),
            "399.84",
            "EUR",
        ),
        (
            "Votre facture",
            "Bonjour,\n\nN° de facture : F-19\nDate de facture : 3 novembre 2026\n"
            "Date d'échéance : 17 novembre 2026\nTotal HT 336,00 €\nTVA 20 % 67,20 €\n"
            "Total TTC 403,20 €\n",
            "F-19",
            date(2026, 11, 3),
            date(2026, 11, 17),
            "403.20",
            "EUR",
        ),
        (
            "Su factura",
            "Hola:\n\nNúmero de factura: FV26-001390\nFecha de factura: 5 de marzo de 2026\n"
            "Base imponible 100,00 €\nIVA 21 % 21,00 €\nTotal factura 121,00 €\n",
            "FV26-001390",
            date(2026, 3, 5),
            None,
            "121.00",
            "EUR",
        ),
    ],
)
def test_text_invoice_body(
    subject: str,
    text: str,
    number: str,
    issued: date | None,
    due: date | None,
    total: str,
    currency: str,
) -> None:
    [found] = invoices_of(mail(subject, text))
    assert found.source is InvoiceSource.TEXT and found.vendor == "Acme Hosting Ltd"
    assert (found.invoice_number, found.issue_date, found.due_date) == (number, issued, due)
    assert (found.total_amount, found.currency) == (Decimal(total), currency)


@pytest.mark.parametrize(
    ("subject", "sender", "text", "vendor", "total", "currency"),
    [
        # A company's receipt that names itself only in its subject and a shouting header.
        (
            "[GitHub] Payment Receipt for marie",
            "GitHub <noreply@github.example>",
            "We received payment for your subscription.\n---\n"
            "GITHUB RECEIPT - PERSONAL SUBSCRIPTION - marie\nTotal: $4.00 USD\n"
            "Date: 05 Mar 2026 10:00AM PST\n",
            "GitHub",
            "4.00",
            "USD",
        ),
        (
            "Your Uber trip receipt",
            "Uber Receipts <noreply@uber.example>",
            "Thanks for riding, Marie\nTotal €23.43\nTrip fare €19.80\nVAT €1.53\n",
            "Uber",
            "23.43",
            "EUR",
        ),
        # The company is what follows "Receipt from" (the display name lost to an unquoted comma).
        (
            "Your receipt from Notion Labs, Inc.",
            "Notion Labs, Inc. <invoice@mail.notion.example>",
            "Receipt from Notion Labs, Inc.\nReceipt number 2437-1842\nAmount paid $96.00\n",
            "Notion Labs, Inc.",
            "96.00",
            "USD",
        ),
    ],
)
def test_receipts_in_company_mails(
    subject: str, sender: str, text: str, vendor: str, total: str, currency: str
) -> None:
    [found] = invoices_of(mail(subject, text, sender=sender))
    assert (found.vendor, found.total_amount, found.currency) == (vendor, Decimal(total), currency)


def test_a_person_talking_about_an_invoice_is_no_invoice() -> None:
    text = "Hi, I paid the invoice yesterday, the total was 50 EUR."
    assert invoices_of(mail("invoice", text, sender="Maria Garcia <maria.garcia@gmail.com>")) == []


def test_one_invoice_per_invoice_pdf_and_none_for_the_body() -> None:
    second = EN_GB.replace("BWA-2026-0187", "BWA-2026-0188")
    msg = mail(
        "Your documents",
        "Invoice number: X-1\nTotal: 10.00 EUR",
        pdfs=(
            ("a.pdf", make_pdf(EN_GB)),
            ("b.pdf", make_pdf(second)),
            ("agenda.pdf", make_pdf("Agenda\n1. Budget")),
        ),
    )
    found = invoices_of(msg)
    assert [(f.attachment_name, f.invoice_number) for f in found] == [
        ("a.pdf", "BWA-2026-0187"),
        ("b.pdf", "BWA-2026-0188"),
    ]
    assert len({f.part_key for f in found}) == 2 and found[0].part_key.startswith("sha256:")


def test_the_same_pdf_twice_is_one_invoice() -> None:
    pdf = make_pdf(EN_GB)
    assert len(invoices_of(mail("Invoice", pdfs=(("a.pdf", pdf), ("copy.pdf", pdf))))) == 1


def forward(inner: EmailMessage, subject: str, text: str = "FYI, please book.") -> EmailMessage:
    outer = mail(
        subject,
        text,
        sender="Tom Becker <tom.becker@keller.example>",
        message_id="<outer@keller.example>",
    )
    outer.add_attachment(inner, filename="forwarded.eml")
    return outer


def test_forwarded_mail_with_a_pdf() -> None:
    inner = mail(
        "Rechnung R0018823941",
        pdfs=(("Hetzner.pdf", make_pdf(DE)),),
        sender="Hetzner <billing@hetzner.example>",
        message_id="<inner@hetzner.example>",
    )
    [found] = invoices_of(forward(inner, "WG: Rechnung R0018823941"))
    assert (found.attachment_name, found.vendor, found.total_amount) == (
        "Hetzner.pdf",
        "Hetzner Online GmbH",  # as the invoice prints it, not the forwarder's nor the sender's
        Decimal("62.01"),
    )


def test_forwarded_twice_with_a_body_invoice() -> None:
    inner = mail(
        "Your receipt",
        "Receipt #R-9\nAmount paid: $20.00",
        sender='"Stripe" <receipts@stripe.example>',
        message_id="<r9@stripe.example>",
    )
    twice = forward(forward(inner, "Fwd: Your receipt"), "Fwd: Fwd: Your receipt")
    [found] = invoices_of(twice)
    assert (found.part_key, found.source, found.vendor) == (
        "body:<r9@stripe.example>",
        InvoiceSource.TEXT,
        "Stripe",
    )


def test_inline_forward_takes_the_original_sender() -> None:
    text = (
        "Please book this one.\n\n---------- Forwarded message ---------\n"
        "From: Kestrel Cloud Services <billing@kestrelcloud.example>\nDate: Tue, 11 Aug 2026\n"
        "Subject: Your receipt\n\nReceipt No. KC-R-1\nDate paid: 11 August 2026\n"
        "Amount paid €364.40\n"
    )
    [found] = invoices_of(mail("Fwd: Your receipt", text, sender="James <james@keller.example>"))
    assert (found.vendor, found.invoice_number, found.total_amount, found.currency) == (
        "Kestrel Cloud Services",
        "KC-R-1",
        Decimal("364.40"),
        "EUR",
    )


@pytest.mark.parametrize(
    "sender",
    [
        '"Hetzner Online GmbH" <billing@hetzner.example>',
        "Uber Receipts <noreply@uber.example>",
        "no-reply <no-reply@hetzner.example>",
        "Julia Becker <j.becker@weber-druck.example>",
        '"Your invoice" <noreply@mailer.example>',
    ],
)
def test_the_seller_the_document_names_comes_before_the_sender(sender: str) -> None:
    [found] = invoices_of(mail("Rechnung", pdfs=(("r.pdf", make_pdf(DE)),), sender=sender))
    assert found.vendor == "Hetzner Online GmbH"


@pytest.mark.parametrize(
    ("sender", "vendor"),
    [
        ('"Hetzner Online GmbH" <billing@hetzner.example>', "Hetzner Online GmbH"),
        ("Uber Receipts <noreply@uber.example>", "Uber"),
        ("no-reply <no-reply@hetzner.example>", "Hetzner"),
        ("Julia Becker <j.becker@weber-druck.example>", "Weber Druck"),
        ("Anna Muster <praxis@physio-muster.example>", "Physio Muster"),
    ],
)
def test_vendor_rules_for_a_document_that_names_no_seller(sender: str, vendor: str) -> None:
    """A scanned PDF (no text) goes to OCR with hints that name the sender's company, else
    its mail domain's name, when the page names no seller."""
    raw = mail("Rechnung 2026-17", pdfs=(("scan.pdf", make_pdf("")),), sender=sender)
    findings = find_invoices(parse_message(raw.as_bytes()))
    [part] = findings.ocr_parts
    assert read_fields(layout_of_text(""), part.hints).vendor == vendor


def test_vendor_from_a_signature_when_the_sender_is_a_person() -> None:
    text = (
        "Bonjour,\n\nvoici votre facture.\n\nN° de facture : 2026-019\nTotal TTC 403,20 €\n\n"
        "Cordialement,\nClaire Moreau\nAtelier Reliure Moreau\n22 montée de la Grande Côte\n"
    )
    [found] = invoices_of(mail("Facture", text, sender="Claire Moreau <claire@reliure.example>"))
    assert found.vendor == "Atelier Reliure Moreau"


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Quote for your invoice software", "Total: 5 EUR"),
        ("Lunch tomorrow?", "Total: 5 EUR"),
        ("Newsletter: new invoice features", "Total: 5 EUR"),
        ("Your order #123 has been received", "Order confirmation\nOrder number 123\nTotal $59.90"),
        ("Your order has shipped", "Tracking number 1Z999\nOrder total $59.90"),
        ("Reset your password", "Click the link to reset your password."),
        (
            "Re: invoice",
            "I paid the invoice yesterday, the total was 50 EUR.\n\n"
            "On Mon, 2 Mar 2026, Acme wrote:\n> Invoice number: INV-1\n> Total: 50.00 EUR",
        ),
        ("Einladung: Besprechung am Montag", "Tagesordnung im Anhang."),
    ],
)
def test_non_invoice_mails(subject: str, text: str) -> None:
    assert invoices_of(mail(subject, text)) == []


def test_meeting_invite_with_an_agenda_pdf() -> None:
    msg = mail(
        "Meeting on Monday",
        "Please find the agenda attached.",
        pdfs=(("agenda.pdf", make_pdf("Agenda\n1. Budget 2026\n2. Invoices")),),
    )
    assert invoices_of(msg) == []


def test_skipped_and_too_deep_parts_are_reported() -> None:
    message = ParsedMessage(
        "<m@x>",
        "Invoice 17",
        SHOP,
        None,
        skipped=[
            SkippedPart("invoice-17.pdf", "application/pdf", "20000000 bytes, over the limit"),
            SkippedPart("holiday.jpg", "image/jpeg", "20000000 bytes, over the limit"),
        ],
        too_deep=True,
    )
    findings = find_invoices(message)
    assert findings.invoices == []
    assert findings.unreadable == [
        "MIME parts nested deeper than 20: not all read",
        "invoice-17.pdf: not read, 20000000 bytes, over the limit",
    ]


def test_work_per_mail_is_bounded() -> None:
    pdf = make_pdf(EN_GB)
    message = ParsedMessage(
        "<m@x>",
        "Invoices",
        SHOP,
        None,
        attachments=[
            Attachment(f"invoice-{i}.pdf", "application/pdf", pdf + bytes([i % 256]))
            for i in range(DEFAULT_LIMITS.max_attachments + 2)
        ],
    )
    findings = find_invoices(message)
    assert len(findings.invoices) == DEFAULT_LIMITS.max_attachments
    assert findings.unreadable == [
        f"invoice-{i}.pdf: not read, too many parts"
        for i in (DEFAULT_LIMITS.max_attachments, DEFAULT_LIMITS.max_attachments + 1)
    ]


def test_a_skipped_agenda_is_no_error() -> None:
    message = ParsedMessage(
        "<m@x>",
        "Meeting",
        SHOP,
        None,
        skipped=[SkippedPart("agenda.pdf", "application/pdf", "too big")],
    )
    assert find_invoices(message).unreadable == []
