"""Text PDFs written with fpdf2: invoices, receipts and quotes, and plain documents.

The PDF core fonts (Helvetica) cover Windows-1252, which has €, £, ¥ and the accented letters of
the four languages, and cost about a millisecond a page; a TrueType font is embedded only where
asked for (some real invoices embed subset fonts) or where a text needs it.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF

from tests.support.corpus.documents import BUYERS, InvoiceDoc

# Where distributions put DejaVu Sans (Debian's fonts-dejavu-core, Fedora's dejavu-sans-fonts).
_DEJAVU_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu-sans-fonts"),
)
_CURRENCY = {"en": "Currency", "de": "Währung", "fr": "Devise", "es": "Moneda"}
_WIDTHS = (95, 20, 35, 40)  # description, quantity, unit price, amount: 190 mm of an A4 page


def _new_pdf(
    created: datetime.date, title: str, author: str, texts: Sequence[str], ttf: bool
) -> FPDF:
    pdf = FPDF(format="A4")
    # fpdf2 stamps the wall clock otherwise; a fixed date keeps the corpus byte-for-byte stable.
    pdf.set_creation_date(datetime.datetime.combine(created, datetime.time(9), tzinfo=datetime.UTC))
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_auto_page_break(True, margin=15)
    fonts = _dejavu() if ttf or not _fits_cp1252(texts) else None
    if fonts is not None:
        pdf.add_font("Body", "", str(fonts / "DejaVuSans.ttf"))
        pdf.add_font("Body", "B", str(fonts / "DejaVuSans-Bold.ttf"))
        pdf.set_font("Body", "", 10)
    else:
        pdf.core_fonts_encoding = "windows-1252"
        pdf.set_font("Helvetica", "", 10)
    pdf.add_page()
    return pdf


def _dejavu() -> Path | None:
    # Without the font the corpus still builds, with core fonts: every text fits Windows-1252.
    return next((path for path in _DEJAVU_DIRS if (path / "DejaVuSans.ttf").exists()), None)


def _fits_cp1252(texts: Sequence[str]) -> bool:
    try:
        "".join(texts).encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _family(pdf: FPDF) -> str:
    return "Body" if "body" in pdf.fonts else "Helvetica"


def _line(pdf: FPDF, text: str, size: float = 10, bold: bool = False, height: float = 5) -> None:
    pdf.set_font(_family(pdf), "B" if bold else "", size)
    pdf.cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


def _row(pdf: FPDF, cells: Sequence[str], bold: bool = False) -> None:
    pdf.set_font(_family(pdf), "B" if bold else "", 9)
    for index, (width, text) in enumerate(zip(_WIDTHS, cells, strict=True)):
        pdf.cell(width, 6, text, border="B", align="L" if index == 0 else "R")
    pdf.ln(6)


def _sum_line(pdf: FPDF, label: str, value: str, bold: bool = False) -> None:
    pdf.set_font(_family(pdf), "B" if bold else "", 10)
    pdf.cell(_WIDTHS[0] + _WIDTHS[1], 6, "")
    pdf.cell(_WIDTHS[2], 6, label, align="R")
    pdf.cell(_WIDTHS[3], 6, value, align="R", new_x="LMARGIN", new_y="NEXT")


def _doc_texts(doc: InvoiceDoc) -> list[str]:
    return [
        doc.seller.name,
        *doc.seller.address,
        *doc.seller.footer,
        *doc.notes,
        *(item.description for item in doc.lines),
        *BUYERS[doc.lang],
        *vars(doc.labels).values(),
        doc.money_text(Decimal("1234.56")),
    ]


def invoice_pdf(doc: InvoiceDoc, *, ttf: bool = False) -> bytes:
    """`doc` laid out as a one-page A4 document with a letterhead, a table and its totals."""
    labels = doc.labels
    # The metadata names the document's kind, as invoicing tools do, but not its number: the
    # fields are to be read from the page.
    pdf = _new_pdf(doc.issued, labels.title.title(), doc.seller.name, _doc_texts(doc), ttf)
    _line(pdf, doc.seller.name, size=16, bold=True, height=8)
    _line(pdf, "  ·  ".join(doc.seller.address), size=8, height=4)
    _line(pdf, f"{doc.seller.email}  ·  {doc.seller.vat_id}", size=8, height=4)
    pdf.ln(8)
    _line(pdf, labels.bill_to, size=8, bold=True, height=4)
    for text in BUYERS[doc.lang]:
        _line(pdf, text, height=4.5)
    pdf.ln(6)
    _line(pdf, labels.title, size=18, bold=True, height=10)
    meta = [(labels.number, doc.number), (labels.date, doc.date_text(doc.issued))]
    if doc.due is not None:
        meta.append((labels.due, doc.date_text(doc.due)))
    if doc.style.template == "{}":
        meta.append((_CURRENCY[doc.lang], doc.currency))
    for label, value in meta:
        _line(pdf, f"{label}: {value}", height=5)
    pdf.ln(5)
    _row(pdf, (labels.description, labels.quantity, labels.unit_price, labels.amount), bold=True)
    for item in doc.lines:
        quantity = f"{item.quantity.normalize():f}"
        price, amount = doc.money_text(item.unit_price), doc.money_text(doc.amount(item))
        _row(pdf, (item.description, quantity, price, amount))
    pdf.ln(2)
    _sum_line(pdf, labels.subtotal, doc.money_text(doc.subtotal))
    rate = f"{doc.tax_rate.normalize():f}".replace(".", "," if doc.lang != "en" else ".")
    _sum_line(pdf, f"{labels.tax} {rate} %", doc.money_text(doc.tax))
    _sum_line(pdf, labels.total, doc.money_text(doc.total), bold=True)
    pdf.ln(8)
    for note in doc.notes:
        pdf.set_font(_family(pdf), "", 9)
        pdf.multi_cell(0, 4.5, note, new_x="LMARGIN", new_y="NEXT")
    _footer(pdf, doc.seller.footer)
    return bytes(pdf.output())


def _footer(pdf: FPDF, lines: Sequence[str]) -> None:
    pdf.set_y(-30)
    for text in lines:
        _line(pdf, text, size=7, height=3.5)


Block = str | tuple[str, ...]


def text_pdf(
    title: str,
    blocks: Sequence[Block],
    *,
    created: datetime.date,
    author: str,
    footer: Sequence[str] = (),
    ttf: bool = False,
) -> bytes:
    """A plain document: a title, then paragraphs (str) and table rows (tuples of cells)."""
    texts = [title, *footer, *(b if isinstance(b, str) else " ".join(b) for b in blocks)]
    pdf = _new_pdf(created, title, author, texts, ttf)
    _line(pdf, title, size=15, bold=True, height=9)
    pdf.ln(3)
    for block in blocks:
        pdf.set_font(_family(pdf), "", 10)
        if isinstance(block, str):
            pdf.multi_cell(0, 5, block, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            continue
        width = 190 / len(block)
        for index, cell in enumerate(block):
            pdf.cell(width, 6, cell, border="B", align="L" if index == 0 else "R")
        pdf.ln(6)
    if footer:
        _footer(pdf, footer)
    return bytes(pdf.output())
