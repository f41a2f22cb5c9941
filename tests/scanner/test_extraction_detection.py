"""Invoice or not: document kinds, the verdict on attachments and bodies, and what to fetch."""

from __future__ import annotations

import pytest

from scanner.extraction.detection import (
    MailContext,
    invoice_related,
    is_invoice_attachment,
    is_invoice_body,
    title_kind,
)
from scanner.extraction.layout import layout_of_text
from scanner.extraction.vocabulary import kind_of_name, words_of_filename
from scanner.invoices import worth_fetching


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Your invoice INV-00077", "invoice"),
        ("Ihre Rechnung 2026", "invoice"),
        ("Stromrechnung März", "invoice"),
        ("Facture F-2026-01", "invoice"),
        ("Su factura de Telefónica", "invoice"),
        ("Your receipt from Acme", "invoice"),
        ("Ihre Quittung", "invoice"),
        ("Votre reçu", "invoice"),
        ("Su recibo", "invoice"),
        ("Credit note CN-4", "invoice"),
        ("Invoice for Service Agreement", "invoice"),
        ("Quote for your invoice software", "quote"),
        ("Ihr Angebot 2026-17", "quote"),
        ("Devis n° 12", "quote"),
        ("Presupuesto 2026", "quote"),
        ("Cotización solicitada", "quote"),
        ("Order confirmation #123", "order"),
        ("Ihre Bestellbestätigung", "order"),
        ("Confirmation de commande", "order"),
        ("Confirmación de pedido", "order"),
        ("Your order has shipped", "shipping"),
        ("Versandbestätigung", "shipping"),
        ("Lieferschein 4711", "shipping"),
        ("Newsletter: new invoice features", "newsletter"),
        ("Agenda for Monday", "meeting"),
        ("Einladung zur Besprechung", "meeting"),
        ("Ordre du jour de la réunion", "meeting"),
        ("Reset your password", "account"),
        ("Passwort zurücksetzen", "account"),
        ("Service contract 2026", "contract"),
        ("Lebenslauf Maria Muster", "cv"),
        ("Preisliste 2026", "pricelist"),
        ("Lista de precios", "pricelist"),
        ("Lunch tomorrow?", None),
        ("Rechnungsadresse geändert", None),
    ],
)
def test_kind_of_a_subject(text: str, kind: str | None) -> None:
    assert kind_of_name(text) == kind


@pytest.mark.parametrize(
    ("filename", "kind"),
    [
        ("invoice-1.pdf", "invoice"),
        ("Rechnung_2026_03.pdf", "invoice"),
        ("RechnungNr123.pdf", "invoice"),
        ("INV-2026-001.pdf", "invoice"),
        ("Factura-A12.pdf", "invoice"),
        ("recu_T-89410.pdf", "invoice"),
        ("agenda.pdf", "meeting"),
        ("quote_44.pdf", "quote"),
        ("Angebot_17.pdf", "quote"),
        ("Lieferschein.pdf", "shipping"),
        ("AGB.pdf", "contract"),
        ("CV_Maria.pdf", "cv"),
        ("scan001.pdf", None),
        ("document.pdf", None),
    ],
)
def test_kind_of_a_filename(filename: str, kind: str | None) -> None:
    assert kind_of_name(words_of_filename(filename)) == kind


def lines(text: str) -> list[str]:
    return layout_of_text(text).lines


INVOICE_PDF = (
    "Acme Widgets Ltd\n1 High Street\nBill to\nKeller Design Ltd\nINVOICE\n"
    "Invoice No.: INV-1\nInvoice date: 05/03/2026\nTotal £120.00\n"
)
QUOTE_PDF = (
    "Acme Widgets Ltd\n1 High Street\nQUOTATION\nQuote No.: Q-1\nDate: 05/03/2026\n"
    "Valid until 05/04/2026\nTotal £120.00\nThis quotation is not an invoice.\n"
)
ANGEBOT_PDF = "Muster GmbH\nANGEBOT\nAngebotsnummer: A-17\nGesamtbetrag 1.190,00 €\n"
ORDER_PDF = (
    "Shop GmbH\nAuftragsbestätigung\nBestellnummer 4711\nSumme 59,90 €\n"
    "Die Rechnung erhalten Sie mit der Lieferung.\n"
)
DELIVERY_PDF = "Shop GmbH\nLIEFERSCHEIN\nLieferschein-Nr. 9\nArtikel Menge\nStuhl 2\n"
AGENDA_PDF = "Board meeting\nAgenda\n1. Budget 2026\n2. Invoices overdue\n3. Any other business\n"
PRICE_LIST_PDF = "Preisliste 2026\nArtikel Preis\nStuhl 89,00 €\nTisch 249,00 €\n"
CV_PDF = "Curriculum Vitae\nMaria Muster\nExperience\n2019-2026 Accounts payable clerk\n"


@pytest.mark.parametrize(
    ("text", "filename", "subject", "verdict"),
    [
        (INVOICE_PDF, "invoice.pdf", "Invoice INV-1", True),
        (INVOICE_PDF, "document.pdf", "Documents", True),  # the content says invoice
        (INVOICE_PDF, "document.pdf", "Meeting notes and more", True),
        (QUOTE_PDF, "document.pdf", "Your invoice and quote", False),
        (QUOTE_PDF, "quote.pdf", "Quote Q-1", False),
        (ANGEBOT_PDF, "Angebot.pdf", "Ihr Angebot", False),
        (ORDER_PDF, "Bestellung.pdf", "Ihre Bestellung", False),
        (DELIVERY_PDF, "Lieferschein.pdf", "Ihre Lieferung", False),
        (AGENDA_PDF, "agenda.pdf", "Board meeting on Monday", False),
        (PRICE_LIST_PDF, "Preisliste.pdf", "Preise 2026", False),
        (CV_PDF, "cv.pdf", "Application", False),
        # A scan has no text: its name and its mail decide.
        ("", "scan0042.pdf", "Invoice for courier services", True),
        ("", "Rechnung_17.pdf", "Dokumente", True),
        ("", "scan0042.pdf", "Photos from the party", False),
        ("", "agenda.pdf", "Invoice and agenda", False),
    ],
)
def test_attachment_verdict(text: str, filename: str, subject: str, verdict: bool) -> None:
    assert is_invoice_attachment(lines(text), filename, MailContext(subject)) is verdict


@pytest.mark.parametrize(
    ("text", "subject", "verdict"),
    [
        ("Receipt from Acme\nReceipt #1234-5678\nAmount paid $20.00", "Your receipt", True),
        ("Invoice number: INV-7\nTotal: 10.00 EUR", "Acme account", True),
        ("Rechnung\nRechnungsnummer 77\nGesamtbetrag 10,00 €", "Ihre Rechnung", True),
        ("Hi,\nI paid the invoice yesterday, the total was 50 EUR.", "Re: invoice", False),
        ("Order confirmation\nOrder number 123\nTotal $59.90", "Your order #123", False),
        ("Thanks for your order\nYour order has shipped\nTotal $59.90", "Shipped!", False),
        (
            "What's new in Acme Invoicing\nSend an invoice in one click!\nInvoice #1\nTotal $5\n"
            "Unsubscribe",
            "Acme newsletter, June",
            False,
        ),
        ("Quote No. 7\nTotal $100", "Your quote", False),
    ],
)
def test_body_verdict(text: str, subject: str, verdict: bool) -> None:
    assert is_invoice_body(lines(text), MailContext(subject)) is verdict


def test_title_of_a_german_invoice_after_the_address_block() -> None:
    text = "Muster GmbH · Weg 1 · 80333 München\nKunden AG\nStraße 2\n12345 Stadt\nRECHNUNG Nr. 5\n"
    assert title_kind(lines(text)) == "invoice"


@pytest.mark.parametrize(
    ("subject", "body", "filename", "content_type", "fetch"),
    [
        # XML is always fetched: e-invoices, and small.
        ("Meeting", "", "data.xml", "application/octet-stream", True),
        ("Hello", "", "anything", "application/xml", True),
        ("Hello", "", "anything", "text/xml", True),
        # Invoice words anywhere fetch a PDF.
        ("Invoice 42", "", "document.pdf", "application/pdf", True),
        (
            "Your documents",
            "Please find your invoice attached.",
            "doc.pdf",
            "application/pdf",
            True,
        ),
        ("Dokumente", "", "Rechnung_2026.pdf", "application/pdf", True),
        ("Documents", "", "facture-12.pdf", "application/octet-stream", True),
        ("Documentos", "Adjuntamos la factura.", "doc.pdf", "application/pdf", True),
        ("TR : Votre facture", "", "scan.pdf", "application/pdf", True),
        # A name that says nothing, in a mail that says nothing: fetched (recall first).
        ("Hi", "see attached", "scan0042.pdf", "application/pdf", True),
        # Obvious non-invoices are not.
        (
            "Meeting on Monday",
            "Please find the agenda attached.",
            "agenda.pdf",
            "application/pdf",
            False,
        ),
        ("Board meeting", "See attached.", "document.pdf", "application/pdf", False),
        ("Invoice and quote", "", "quote.pdf", "application/pdf", False),
        ("Ihr Angebot", "Anbei unser Angebot.", "Angebot_17.pdf", "application/pdf", False),
        ("Devis", "Veuillez trouver notre devis.", "devis.pdf", "application/pdf", False),
        ("Presupuesto", "Adjunto el presupuesto.", "presupuesto.pdf", "application/pdf", False),
        ("Application", "My CV is attached.", "CV_Maria.pdf", "application/pdf", False),
        ("Reset your password", "", "help.pdf", "application/pdf", False),
        ("Engagement letter for signature", "", "Letter.pdf", "application/pdf", False),
        ("Zur Unterschrift", "", "Wartungsvertrag_2027.pdf", "application/pdf", False),
        ("Tarifas 2027", "", "Tarifas_2027.pdf", "application/pdf", False),
        # Not PDF or XML: never read, so never fetched.
        ("Invoice 42", "", "invoice.jpg", "image/jpeg", False),
        ("Invoice 42", "", "invoice.docx", "application/msword", False),
    ],
)
def test_worth_fetching(
    subject: str, body: str, filename: str, content_type: str, fetch: bool
) -> None:
    assert worth_fetching(subject, body, filename, content_type) is fetch


def test_a_part_that_could_not_be_read_is_an_error_only_when_invoice_like() -> None:
    assert invoice_related(MailContext("Invoice 7"), "document.pdf")
    assert invoice_related(MailContext("Hello"), "Rechnung.pdf")
    assert not invoice_related(MailContext("Invoice 7"), "agenda.pdf")
    assert not invoice_related(MailContext("Holiday photos"), "scan.pdf")
