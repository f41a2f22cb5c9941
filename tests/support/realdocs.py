"""The real invoices of tests/corpora, mailed the way the scanner meets them, and their scores.

Each PDF is attached as "document.pdf" to a mail from a neutral sender ("Your invoice"), so that
nothing but the page tells the fields. Two paths are scored:
* xml: the PDF as it is; where it embeds an e-invoice (Factur-X/ZUGFeRD), that XML is read;
* text: the PDF with its embedded files removed (pypdf: /Names/EmbeddedFiles, /AF, file
  attachment annotations), so that every field must come from the printed page.

Ground truth: real-dev/*/truth.json, and for the xml-rechnung PDFs the XML each embeds
(tests/support/corpus/xml_truth.py). Comparisons:
* vendor: without case, punctuation, spacing and a trailing legal form ("Au bon moulin SARL" is
  "Au bon moulin"), or the name read begins with the true one ("Hetzner Online GmbH" for
  "Hetzner");
* total: the grand total or the amount due (they differ after a prepayment); a credit note's
  total is right with either sign (the scanner reports it negative, as its e-invoice does);
* everything else: equal. A field whose truth is None is not scored.
"""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import facturx
from lxml import etree
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, NameObject

from scanner.extraction.fields import TextHints, read_fields
from scanner.extraction.labels import find_labels
from scanner.extraction.layout import Cell, Layout, Row
from scanner.extraction.parties import legal_form_pattern
from scanner.extraction.pdf_text import PdfDocument
from scanner.extraction.record import InvoiceFields
from scanner.invoices import FoundInvoice, find_invoices
from scanner.limits import DEFAULT_LIMITS
from scanner.messages import Attachment, ParsedMessage
from tests.support.corpus.xml_truth import cii_truth
from tests.support.paths import CORPORA

SCORED = ("vendor", "invoice_number", "issue_date", "total_amount", "currency")
NEUTRAL_SENDER = '"Your invoice" <noreply@mailer.example>'
NEUTRAL_SUBJECT = "Your invoice"
NEUTRAL_FILENAME = "document.pdf"
_CREDIT_NOTE_CODES = {"381"}


@dataclass(frozen=True)
class RealDoc:
    """One real invoice PDF and what it says."""

    name: str
    source: str  # the corpus folder it comes from
    pdf: bytes
    vendor: str | None
    invoice_number: str | None
    issue_date: date | None
    totals: frozenset[Decimal] | None  # every amount that counts as its total
    currency: str | None
    language: str

    def expected(self, name: str) -> object:
        return getattr(self, "totals" if name == "total_amount" else name)


@functools.cache
def real_documents() -> tuple[RealDoc, ...]:
    """Every real invoice PDF of tests/corpora: real-dev first, then xml-rechnung's."""
    return (*_real_dev(), *_xml_rechnung())


def _real_dev() -> list[RealDoc]:
    docs = []
    for truth_file in sorted((CORPORA / "real-dev").glob("*/truth.json")):
        for entry in json.loads(truth_file.read_text()):
            amounts = {Decimal(a) for a in (entry["total"], entry.get("amount_due")) if a}
            if entry.get("type_code") in _CREDIT_NOTE_CODES:
                amounts |= {-a for a in amounts}
            docs.append(
                RealDoc(
                    name=entry["file"],
                    source=f"real-dev/{truth_file.parent.name}",
                    pdf=(truth_file.parent / entry["file"]).read_bytes(),
                    vendor=entry["vendor"],
                    invoice_number=entry["invoice_number"],
                    issue_date=date.fromisoformat(entry["issue_date"])
                    if entry["issue_date"]
                    else None,
                    totals=frozenset(amounts) or None,
                    currency=entry["currency"],
                    language=entry["lang"],
                )
            )
    return docs


def _xml_rechnung() -> list[RealDoc]:
    docs = []
    for path in sorted((CORPORA / "xml-rechnung" / "FX").glob("*.pdf")):
        pdf = path.read_bytes()
        _, xml = facturx.get_xml_from_pdf(pdf, False)
        truth = cii_truth(xml)
        root = etree.fromstring(xml)
        amounts = {
            Decimal(element.text)
            for element in root.iter()
            if etree.QName(element).localname in ("GrandTotalAmount", "DuePayableAmount")
            and element.text
        }
        if truth.total_amount is not None:
            amounts.add(truth.total_amount)
        docs.append(
            RealDoc(
                name=path.name,
                source="xml-rechnung",
                pdf=pdf,
                vendor=truth.vendor,
                invoice_number=truth.invoice_number,
                issue_date=truth.issue_date,
                totals=frozenset(amounts | {-a for a in amounts}) or None,
                currency=truth.currency,
                language="de",
            )
        )
    return docs


def without_embedded_files(pdf: bytes) -> bytes:
    """The PDF with every embedded file removed: the e-invoice XML, and any attachment."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    root = writer._root_object
    names = root.get("/Names")
    if names is not None and "/EmbeddedFiles" in names.get_object():
        del names.get_object()[NameObject("/EmbeddedFiles")]
    if "/AF" in root:
        del root[NameObject("/AF")]
    for page in writer.pages:
        annotations = page["/Annots"] if "/Annots" in page else None
        if isinstance(annotations, ArrayObject):
            kept = [a for a in annotations if a.get_object().get("/Subtype") != "/FileAttachment"]
            page[NameObject("/Annots")] = ArrayObject(kept)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def mailed(pdf: bytes) -> ParsedMessage:
    """A mail from a neutral sender with `pdf` as its only attachment."""
    return ParsedMessage(
        "<real@mailer.example>",
        NEUTRAL_SUBJECT,
        NEUTRAL_SENDER,
        None,
        attachments=[Attachment(NEUTRAL_FILENAME, "application/pdf", pdf)],
    )


def found_in(doc: RealDoc, path: str) -> FoundInvoice | None:
    """What the scanner reads from `doc` on the "text" or the "xml" path."""
    pdf = without_embedded_files(doc.pdf) if path == "text" else doc.pdf
    invoices = find_invoices(mailed(pdf)).invoices
    return invoices[0] if invoices else None


def normal_vendor(name: str) -> str:
    name = re.sub(rf"(?:[\s,]+(?:{legal_form_pattern()}))+\s*$", "", name)
    return re.sub(r"[\W_]+", "", name.casefold())


def field_right(doc: RealDoc, name: str, value: object) -> bool:
    """Whether `value` read for field `name` of `doc` is right (see the module's rules)."""
    expected = doc.expected(name)
    if value is None:
        return False
    if name == "vendor":
        got, want = normal_vendor(str(value)), normal_vendor(str(expected))
        return got == want or (len(want) >= 5 and got.startswith(want))
    if name == "total_amount":
        return value in expected  # type: ignore[operator]
    return value == expected


@dataclass
class FieldTally:
    right: int = 0
    expected: int = 0

    @property
    def accuracy(self) -> float:
        return self.right / self.expected if self.expected else 1.0


@dataclass
class RealScore:
    """Detection and per-field accuracy over some documents, by source too."""

    documents: int = 0
    detected: int = 0
    fields: dict[str, FieldTally] = field(default_factory=lambda: {n: FieldTally() for n in SCORED})
    by_source: dict[str, dict[str, FieldTally]] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)
    # (confidence, right) of every field read, for how well confidence tells the wrong ones.
    confidences: list[tuple[float, bool]] = field(default_factory=list)

    @property
    def detection(self) -> float:
        return self.detected / self.documents if self.documents else 1.0

    @property
    def field_accuracy(self) -> float:
        right = sum(t.right for t in self.fields.values())
        return right / max(1, sum(t.expected for t in self.fields.values()))


def score(docs: Iterable[RealDoc], read: Callable[[RealDoc], FoundInvoice | None]) -> RealScore:
    """Score `read` (a document to the invoice read from it) over `docs`."""
    result = RealScore()
    for doc in docs:
        found = read(doc)
        result.documents += 1
        result.detected += found is not None
        per_source = result.by_source.setdefault(doc.source, {n: FieldTally() for n in SCORED})
        for name in SCORED:
            if doc.expected(name) is None:
                continue
            value = getattr(found, name) if found else None
            right = field_right(doc, name, value)
            for tally in (result.fields[name], per_source[name]):
                tally.expected += 1
                tally.right += right
            if not right:
                result.misses.append(
                    f"{doc.name} {name}: {value!r}, expected {doc.expected(name)!r}"
                )
            confidence = getattr(found.confidence, name) if found else None
            if value is not None and confidence is not None:
                result.confidences.append((confidence, right))
    return result


def without_labels(layout: Layout) -> Layout:
    """`layout` with every label of the vocabulary blotted out: a document whose wording the
    scanner does not know, read from its layout and its titles alone."""
    rows = []
    for row in layout.rows:
        cells = []
        for cell in row.cells:
            text = cell.text
            for label in reversed(find_labels(text)):
                text = text[: label.start] + "~" * (label.end - label.start) + text[label.end :]
            cells.append(Cell(text, cell.x0, cell.x1))
        rows.append(Row(tuple(cells), row.top, row.bottom, row.page))
    return Layout(rows, layout.page_sizes)


def confidence_pairs(doc: RealDoc, fields: InvoiceFields) -> list[tuple[float, bool]]:
    """(confidence, right) of each field of `fields` that was read and has a truth."""
    pairs = []
    for name in SCORED:
        value, confidence = getattr(fields, name), getattr(fields.confidence, name)
        if doc.expected(name) is not None and value is not None and confidence is not None:
            pairs.append((confidence, field_right(doc, name, value)))
    return pairs


def read_layout(doc: RealDoc, blot_labels: bool = False) -> InvoiceFields:
    """The fields read from `doc`'s page layout (embedded files ignored) as the scanner reads a
    PDF attachment of a mail from a neutral sender; `blot_labels` hides the vocabulary."""
    layout = PdfDocument(without_embedded_files(doc.pdf), DEFAULT_LIMITS).layout()
    hints = TextHints(NEUTRAL_SUBJECT, "example", NEUTRAL_FILENAME, NEUTRAL_SENDER)
    return read_fields(without_labels(layout) if blot_labels else layout, hints)
