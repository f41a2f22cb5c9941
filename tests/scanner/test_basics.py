"""The scanner's plain functions: the window, message parsing, the first invoice finder, hosts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from email.message import EmailMessage

import pytest

from models.enums import InvoiceSource
from scanner.hosts import PrivateHostError, checked_addresses
from scanner.invoices import find_invoices, iso_currency
from scanner.messages import UnreadableMessage, parse_message
from scanner.window import window_start


@pytest.mark.parametrize(
    ("today", "months", "start"),
    [
        (date(2026, 11, 28), 3, date(2026, 8, 28)),
        (date(2026, 5, 31), 3, date(2026, 2, 28)),
        (date(2028, 3, 31), 1, date(2028, 2, 29)),
        (date(2026, 1, 15), 24, date(2024, 1, 15)),
    ],
)
def test_window_start(today: date, months: int, start: date) -> None:
    assert window_start(months, today) == start


def mail(
    subject: str,
    body: str = "Hello",
    sender: str = "Shop <billing@shop.example>",
    attachments: tuple[tuple[str, bytes], ...] = (),
    message_id: str | None = "<m1@x>",
) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["Subject"] = sender, subject
    msg["Date"] = "Thu, 05 Mar 2026 10:00:00 +0100"
    if message_id:
        msg["Message-ID"] = message_id
    msg.set_content(body)
    for name, payload in attachments:
        msg.add_attachment(payload, maintype="application", subtype="pdf", filename=name)
    return msg.as_bytes()


def test_parse_message_reads_headers_bodies_and_attachments() -> None:
    parsed = parse_message(mail("Invoice 42", "Total: 10 EUR", attachments=(("a.pdf", b"%PDF"),)))
    assert parsed.message_id == "<m1@x>"
    assert parsed.subject == "Invoice 42"
    assert parsed.sent_at == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    assert "Total: 10 EUR" in parsed.text_body
    assert [(a.filename, a.payload) for a in parsed.attachments] == [("a.pdf", b"%PDF")]


def test_missing_message_id_gets_a_stable_content_hash() -> None:
    raw = mail("Receipt", message_id=None)
    first, again = parse_message(raw), parse_message(raw)
    assert first.message_id == again.message_id
    assert first.message_id.startswith("<sha256-") and first.message_id.endswith(">")
    assert parse_message(mail("Receipt 2", message_id=None)).message_id != first.message_id


def test_empty_message_is_unreadable() -> None:
    with pytest.raises(UnreadableMessage):
        parse_message(b"  \r\n")


def test_one_invoice_per_invoice_pdf() -> None:
    from tests.scanner.test_extraction_pdf import make_pdf

    raw = mail(
        "Your documents",
        attachments=(
            ("invoice-1.pdf", make_pdf("INVOICE\nInvoice No. 1\nTotal 10.00 EUR")),
            ("invoice-2.pdf", make_pdf("INVOICE\nInvoice No. 2\nTotal 20.00 EUR")),
            ("agenda.pdf", make_pdf("Agenda\n1. Budget")),
        ),
    )
    findings = find_invoices(parse_message(raw))
    found = findings.invoices
    assert [f.attachment_name for f in found] == ["invoice-1.pdf", "invoice-2.pdf"]
    assert [(f.invoice_number, f.total_amount) for f in found] == [
        ("1", Decimal("10.00")),
        ("2", Decimal("20.00")),
    ]
    assert {f.source for f in found} == {InvoiceSource.PDF}
    assert len({f.part_key for f in found}) == 2
    assert findings.unreadable == []


def test_garbage_named_invoice_pdf_is_unreadable() -> None:
    findings = find_invoices(parse_message(mail("Invoice 9", attachments=(("i.pdf", b"%PDF"),))))
    assert findings.invoices == []
    assert findings.unreadable == ["i.pdf: not a readable PDF (PdfStreamError)"]


def test_text_invoice_total_and_currency() -> None:
    body = "Invoice number: INV-00077\nSubtotal: 100.00 EUR\nTax: 19.00 EUR\nTotal: 119.00 EUR\n"
    [found] = find_invoices(parse_message(mail("Your invoice INV-00077", body))).invoices
    assert found.source is InvoiceSource.TEXT
    assert found.invoice_number == "INV-00077"
    assert found.total_amount == Decimal("119.00") and found.currency == "EUR"
    assert found.vendor == "Shop"


@pytest.mark.parametrize(
    "subject",
    ["Quote for your invoice software", "Lunch tomorrow?", "Newsletter: new invoice features"],
)
def test_non_invoices(subject: str) -> None:
    findings = find_invoices(parse_message(mail(subject, "Total: 5 EUR")))
    assert (findings.invoices, findings.unreadable) == ([], [])


def test_iso_currency() -> None:
    assert [iso_currency(s) for s in ("€", "usd", "£", "CHF", "??", None)] == [
        "EUR",
        "USD",
        "GBP",
        "CHF",
        None,
        None,
    ]


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "10.1.2.3", "192.168.0.10", "169.254.169.254", "::1", "fd00::1", "0.0.0.0"],
)
def test_private_hosts_are_refused(host: str) -> None:
    with pytest.raises(PrivateHostError):
        checked_addresses(host, 993, allow_private=False)


def test_public_address_is_accepted() -> None:
    # An address literal resolves without DNS.
    assert checked_addresses("93.184.216.34", 993, allow_private=False) == ["93.184.216.34"]


def test_private_host_refused_at_connection_time() -> None:
    from models.enums import ImapSecurity
    from scanner.imap import ImapError, ImapLogin, ImapSession

    login = ImapLogin(
        host="127.0.0.1", port=1, security=ImapSecurity.NONE, username="u", password="p"
    )
    with pytest.raises(ImapError, match="non-public"), ImapSession(login):
        pass


def test_xml_attachments_are_e_invoices() -> None:
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "Shop <s@x>", "Invoice 9"
    msg.set_content("see attached")
    cii = b"""<rsm:CrossIndustryInvoice
        xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
        xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100">
        <rsm:ExchangedDocument><ram:ID>9</ram:ID></rsm:ExchangedDocument>
        </rsm:CrossIndustryInvoice>"""
    ubl = b"""<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
        xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
        <cbc:ID>10</cbc:ID></Invoice>"""
    msg.add_attachment(cii, maintype="application", subtype="xml", filename="invoice.xml")
    msg.add_attachment(ubl, maintype="application", subtype="xml", filename="ubl.xml")
    found = find_invoices(parse_message(msg.as_bytes())).invoices
    assert [(f.source, f.invoice_number) for f in found] == [
        (InvoiceSource.FACTURX, "9"),
        (InvoiceSource.UBL, "10"),
    ]
