"""PDF invoices end to end, in the four languages, and PDFs that must not break the finder."""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from fpdf import FPDF

from models.enums import InvoiceSource
from scanner.extraction import pdf_text
from scanner.extraction.pdf_sandbox import PdfiumRefused, read_page_words
from scanner.extraction.pdf_text import PdfDocument
from scanner.extraction.record import Unreadable
from scanner.invoices import Findings, find_invoices
from scanner.limits import DEFAULT_LIMITS, ScanLimits
from scanner.messages import Attachment, ParsedMessage
from tests.support.pdfs import pdf_of


def make_pdf(*pages: str, password: str | None = None) -> bytes:
    """A text PDF with one page per argument, a line per line (Helvetica, Windows-1252)."""
    pdf = FPDF()
    if password:
        pdf.set_encryption(owner_password="owner", user_password=password)
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_font("Helvetica", size=10)
    for page in pages:
        pdf.add_page()
        for line in page.split("\n"):
            pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def raw_pdf(content: bytes, font_file: bytes | None = None) -> bytes:
    """A hand-made one-page PDF whose content stream is `content`, Flate-compressed; with
    `font_file`, its font embeds that (Flate-compressed) as its font program."""
    data = zlib.compress(content, 9)
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    extra = []
    if font_file is not None:
        program = zlib.compress(font_file, 9)
        font = (
            b"<< /Type /Font /Subtype /TrueType /BaseFont /Embedded /FontDescriptor 6 0 R"
            b" /FirstChar 32 /LastChar 126 >>"
        )
        extra = [
            b"<< /Type /FontDescriptor /FontName /Embedded /Flags 32 /FontFile2 7 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(program)
            + program
            + b"\nendstream",
        ]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream",
        font,
        *extra,
    ]
    return pdf_of(objects, version=b"1.4")


def message_with(
    *attachments: tuple[str, bytes],
    subject: str = "Documents",
    sender: str = "Office <office@keller.example>",
) -> ParsedMessage:
    return ParsedMessage(
        "<m@x>",
        subject,
        sender,
        None,
        attachments=[Attachment(name, "application/pdf", data) for name, data in attachments],
    )


def find(message: ParsedMessage, limits: ScanLimits = DEFAULT_LIMITS) -> Findings:
    return find_invoices(message, limits)


EN_US = """Pinecrest Software, Inc.
1200 Congress Ave, Suite 400
Austin, TX 78701
Bill to
Keller Design Ltd
21 Cowcross Street
INVOICE
Invoice No.: PS-10442
Invoice date: 07/02/2026
Due date: 08/01/2026
Description   Qty   Unit price   Amount
Team plan, 12 seats, annual   12   $108.25   $1,299.00
Subtotal   $1,299.00
Sales tax   $0.00
Total   $1,299.00"""
EN_GB = """Brightwave Analytics Ltd
48 Leonard Street, London EC2A 4LT
Invoice
Invoice #: BWA-2026-0187
Date: 03/06/2026
Payment due: 03/07/2026
Net amount £2,550.00
VAT 20 % £510.00
Amount due £3,060.00
Brightwave Analytics Ltd · Registered in England and Wales No. 09876543"""
DE = """Hetzner Online GmbH
Industriestr. 25 · 91710 Gunzenhausen
Rechnungsempfänger
Keller Design GmbH
Torstraße 112
10119 Berlin
RECHNUNG
Rechnungsnummer: R0018823941
Rechnungsdatum: 5. Juni 2026
Fällig am: 19.06.2026
Zwischensumme 52,11 €
MwSt. 19 % 9,90 €
Gesamtbetrag 62,01 €"""
FR = """Imprimerie Lefèvre & Fils SARL
12 rue des Tanneurs, 69007 Lyon
Facturé à
Keller Design SARL
FACTURE
N° de facture : F-2026-0412
Date de facture : 3 juin 2026
Date d'échéance : 3 juillet 2026
Total HT 1 250,00 €
TVA 20 % 250,00 €
Total TTC 1 500,00 €"""
ES = """Suministros Levante S.L.
Avenida del Puerto 221, 46023 Valencia
Facturar a
Keller Diseño S.L.
FACTURA
Nº Factura: SL-2026-118
Fecha de factura: 5 de marzo de 2026
Fecha de vencimiento: 04/04/2026
Base imponible 1.000,00 €
IVA 21 % 210,00 €
Total 1.210,00 €"""
CH_NO_JP = [
    (
        "Alpenblick Consulting AG\nInvoice\nInvoice No. AB-26-0091\nInvoice date 01/09/2026\n"
        "Subtotal CHF 5'112.50\nVAT 8.1 % CHF 414.11\nTotal CHF 5'526.61",
        "5526.61",
        "CHF",
    ),
    (
        "Fjordline Media AS\nInvoice\nInvoice No. FM-2026-417\nInvoice date 14/09/2026\n"
        "Subtotal NOK 8 850,00\nVAT 25 % NOK 2 212,50\nTotal NOK 11 062,50",
        "11062.50",
        "NOK",
    ),
    (
        "Sakura Design Tools K.K.\nInvoice\nInvoice No. SDT-0000812\nInvoice date 2026-10-05\n"
        "Subtotal ¥12,600\nTax 10 % ¥1,260\nTotal ¥13,860",
        "13860",
        "JPY",
    ),
]


@pytest.mark.parametrize(
    ("text", "sender", "expected"),
    [
        (
            EN_US,
            "no-reply <no-reply@pinecrest.example>",
            (
                "Pinecrest Software, Inc.",
                "PS-10442",
                date(2026, 7, 2),
                date(2026, 8, 1),
                "1299.00",
                "USD",
            ),
        ),
        (
            EN_GB,
            '"Brightwave Analytics Ltd" <accounts@brightwave.example>',
            (
                "Brightwave Analytics Ltd",
                "BWA-2026-0187",
                date(2026, 6, 3),
                date(2026, 7, 3),
                "3060.00",
                "GBP",
            ),
        ),
        (
            DE,
            '"Hetzner Online GmbH" <billing@hetzner.example>',
            (
                "Hetzner Online GmbH",
                "R0018823941",
                date(2026, 6, 5),
                date(2026, 6, 19),
                "62.01",
                "EUR",
            ),
        ),
        (
            FR,
            "Ne pas répondre <no-reply@lefevre.example>",
            (
                "Imprimerie Lefèvre & Fils SARL",
                "F-2026-0412",
                date(2026, 6, 3),
                date(2026, 7, 3),
                "1500.00",
                "EUR",
            ),
        ),
        (
            ES,
            "Carmen Soler <carmen.soler@levante.example>",
            (
                "Suministros Levante S.L.",
                "SL-2026-118",
                date(2026, 3, 5),
                date(2026, 4, 4),
                "1210.00",
                "EUR",
            ),
        ),
    ],
)
def test_pdf_invoice_in_each_language(text: str, sender: str, expected: tuple[object, ...]) -> None:
    findings = find(message_with(("document.pdf", make_pdf(text)), sender=sender))
    assert findings.unreadable == []
    [invoice] = findings.invoices
    vendor, number, issued, due, total, currency = expected
    assert (invoice.source, invoice.attachment_name) == (InvoiceSource.PDF, "document.pdf")
    assert (invoice.vendor, invoice.invoice_number, invoice.issue_date, invoice.due_date) == (
        vendor,
        number,
        issued,
        due,
    )
    assert (invoice.total_amount, invoice.currency) == (Decimal(str(total)), currency)


@pytest.mark.parametrize(("text", "total", "currency"), CH_NO_JP)
def test_pdf_amounts_of_other_currencies(text: str, total: str, currency: str) -> None:
    [invoice] = find(message_with(("invoice.pdf", make_pdf(text)))).invoices
    assert (invoice.total_amount, invoice.currency) == (Decimal(total), currency)


def test_fields_on_a_later_page_are_read_within_the_page_limit() -> None:
    pages = ("Acme Ltd\nINVOICE\nInvoice No. A-1", "Terms and notes", "Total €99.00")
    [invoice] = find(message_with(("invoice.pdf", make_pdf(*pages)))).invoices
    assert invoice.total_amount == Decimal("99.00")
    [short] = find(
        message_with(("invoice.pdf", make_pdf(*pages))), ScanLimits(max_pdf_pages=2)
    ).invoices
    assert short.total_amount is None and short.invoice_number == "A-1"


def test_non_invoice_pdfs_are_left_out() -> None:
    agenda = make_pdf(
        "Board meeting\nAgenda\n1. Budget\n2. Overdue invoices\n3. Any other business"
    )
    quote = make_pdf("Acme Ltd\nQUOTATION\nQuote No.: Q-7\nTotal £120.00\nThis is not an invoice.")
    findings = find(
        message_with(("agenda.pdf", agenda), ("document.pdf", quote), subject="Meeting and quote")
    )
    assert findings == Findings([], [])


def test_a_scanned_invoice_without_text_goes_to_ocr_with_its_mail_hints() -> None:
    blank = make_pdf("")
    findings = find(
        message_with(
            ("scan0042.pdf", blank),
            subject="Invoice 2026-17",
            sender='"Acme Ltd" <billing@acme.example>',
        )
    )
    assert findings.invoices == [] and findings.unreadable == []
    [part] = findings.ocr_parts
    assert (part.filename, part.payload) == ("scan0042.pdf", blank)
    assert (part.hints.subject, part.hints.sender, part.hints.filename) == (
        "Invoice 2026-17",
        '"Acme Ltd" <billing@acme.example>',
        "scan0042.pdf",
    )


@pytest.mark.parametrize(
    ("name", "payload", "reason"),
    [
        ("invoice.pdf", random.Random(7).randbytes(20_000), "not a readable PDF"),
        ("invoice.pdf", b"", "not a readable PDF"),
        ("invoice.pdf", b"%PDF-1.4\n% minimal\n%%EOF\n", "not a readable PDF"),
        ("invoice.pdf", make_pdf(DE)[:900], ""),
        ("invoice.pdf", make_pdf(DE, password="secret"), "encrypted PDF"),
    ],
)
def test_broken_invoice_pdfs_are_unreadable(name: str, payload: bytes, reason: str) -> None:
    findings = find(message_with((name, payload), subject="Invoice 7"))
    assert findings.invoices == []
    [unreadable] = findings.unreadable
    assert unreadable.startswith(f"{name}: ") and reason in unreadable


def test_a_broken_pdf_that_is_no_invoice_is_no_error() -> None:
    findings = find(message_with(("agenda.pdf", b"garbage"), subject="Meeting"))
    assert findings == Findings([], [])


def test_mangled_pdfs_never_raise() -> None:
    rng = random.Random(11)
    good = make_pdf(EN_GB, DE)
    for _ in range(600):
        data = bytearray(good)
        for _ in range(rng.randrange(1, 40)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        cut = rng.randrange(len(data)) if rng.random() < 0.3 else len(data)
        findings = find(message_with(("invoice.pdf", bytes(data[:cut])), subject="Invoice"))
        assert len(findings.invoices) + len(findings.unreadable) <= 1


BOMB_TEXT = b"BT /F1 12 Tf 72 700 Td (INVOICE Total 12.00 EUR) Tj ET"


@pytest.mark.parametrize(
    ("bomb", "readings"),
    [
        pytest.param(
            raw_pdf(BOMB_TEXT + b" " * 20_000_000),
            (PdfDocument.layout, PdfDocument.text),  # the layout and its fallback
            id="content stream",
        ),
        # PDFium decompresses what it reads without a limit; pypdf decodes a page's font
        # programs within the limit first, so this bomb never reaches it. (pypdf's own text
        # reading, the fallback, never decodes font programs.)
        pytest.param(
            raw_pdf(BOMB_TEXT, font_file=b"\0" * 30_000_000),
            (PdfDocument.layout,),
            id="font program",
        ),
    ],
)
def test_decompression_bomb_is_stopped_at_the_limit(
    bomb: bytes, readings: tuple[Callable[[PdfDocument], object], ...]
) -> None:
    assert len(bomb) < 60_000
    limits = ScanLimits(max_decompressed_bytes=1_000_000)
    started = time.perf_counter()
    findings = find(message_with(("invoice.pdf", bomb), subject="Invoice 1"), limits)
    assert time.perf_counter() - started < 2
    assert findings.invoices == []
    assert findings.unreadable == ["invoice.pdf: unreadable page text (LimitReachedError)"]
    for reading in readings:
        with pytest.raises(Unreadable):
            reading(PdfDocument(bomb, limits))


def test_the_streams_of_all_pages_together_are_bounded() -> None:
    """Streams each under the limit, over it in all: the document is refused, not read."""
    pdf = raw_pdf(BOMB_TEXT + b" " * 300_000, font_file=b"\0" * 300_000)
    with pytest.raises(Unreadable, match="decompress to over 500000 bytes"):
        PdfDocument(pdf, ScanLimits(max_decompressed_bytes=500_000)).layout()


def test_a_pdf_pdfium_cannot_open_is_read_by_pypdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where PDFium refuses a PDF that pypdf reads, pypdf's text (without positions) is read."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise PdfiumRefused("Failed to load document")

    monkeypatch.setattr(pdf_text, "read_page_words", refuse)
    layout = PdfDocument(make_pdf(DE), DEFAULT_LIMITS).layout()
    assert not layout.positioned and "Rechnungsnummer: R0018823941" in layout.lines


def test_pdfium_refuses_what_is_no_pdf_to_it() -> None:
    with pytest.raises(PdfiumRefused):
        read_page_words(b"%PDF-1.4 nothing else", 1, 100, 10, DEFAULT_LIMITS.max_pdf_reader_bytes)


def test_a_small_stream_within_the_limit_is_read() -> None:
    pdf = raw_pdf(b"BT /F1 12 Tf 72 700 Td (INVOICE Total 12.00 EUR) Tj ET")
    assert "Total 12.00 EUR" in PdfDocument(pdf, DEFAULT_LIMITS).text()


def test_reading_a_pdf_invoice_is_fast() -> None:
    pdfs = [make_pdf(text) for text in (EN_US, EN_GB, DE, FR, ES)] * 4
    find(message_with(("invoice.pdf", pdfs[0])))  # dateparser loads its languages once
    started = time.perf_counter()
    for pdf in pdfs:
        assert len(find(message_with(("invoice.pdf", pdf))).invoices) == 1
    per_pdf = (time.perf_counter() - started) / len(pdfs)
    assert per_pdf < 0.1, f"{per_pdf * 1000:.1f} ms per PDF"
