"""Decide which mails carry invoices and read their fields, structured sources first.

Per message, and again for each mail forwarded inside it: an e-invoice (Factur-X XML embedded in
a PDF, or CII/UBL XML attached) is read exactly; a PDF's text next; then the HTML body, then the
plain-text body. Each invoice attachment gives one invoice; the body gives one only when no
attachment of that message did. The readers live in `scanner.extraction`.

A scanned document (a PDF without a text layer, or a photo of a mail that is about an invoice)
is not read here: OCR takes seconds a page, so it goes to `Findings.ocr_parts`, which the scan
hands to the OCR queue, and the body of its message is not read as an invoice either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from models.enums import InvoiceSource
from scanner.extraction.currency import iso_currency
from scanner.extraction.detection import (
    MailContext,
    invoice_related,
    is_invoice_attachment,
    is_invoice_body,
)
from scanner.extraction.fetching import worth_fetching
from scanner.extraction.fields import TextHints, read_fields
from scanner.extraction.layout import Layout, layout_of_text
from scanner.extraction.mail_text import body_texts, forwarded_sender, is_forward, own_part
from scanner.extraction.parties import (
    domain_company,
    from_person,
    sender_company,
    top_level_domain,
)
from scanner.extraction.pdf_text import PdfDocument, looks_like_pdf
from scanner.extraction.record import Confidence, InvoiceFields, Unreadable
from scanner.extraction.structured import EInvoice, looks_like_xml, read_e_invoice
from scanner.extraction.vendor import SENDER_NAME
from scanner.limits import DEFAULT_LIMITS, ScanLimits
from scanner.messages import Attachment, ParsedMessage
from scanner.ocr import needs_ocr_pdf, ocr_candidate_image

__all__ = [
    "FoundInvoice",
    "Findings",
    "OcrPart",
    "find_invoices",
    "iso_currency",
    "worth_fetching",
]

# The fields every invoice states; a receipt paid at once has no due date.
REQUIRED_FIELDS = ("vendor", "invoice_number", "issue_date", "total_amount", "currency")


@dataclass(frozen=True, slots=True)
class FoundInvoice:
    """One invoice read from a message; `part_key` tells apart invoices of the same message:
    the attachment's key, "body", or "body:<Message-ID>" for the body of a forwarded mail."""

    part_key: str
    source: InvoiceSource
    attachment_name: str | None
    vendor: str | None
    invoice_number: str | None
    issue_date: date | None
    due_date: date | None
    total_amount: Decimal | None  # the grand total payable, tax included
    currency: str | None  # ISO 4217
    confidence: Confidence = field(default_factory=Confidence, compare=False)

    @classmethod
    def of(
        cls, part_key: str, source: InvoiceSource, name: str | None, fields: InvoiceFields
    ) -> FoundInvoice:
        """The invoice of part `part_key` (attachment `name`) whose fields, read from `source`,
        are `fields`, confidences included."""
        return cls(
            part_key=part_key,
            source=source,
            attachment_name=name,
            vendor=fields.vendor,
            invoice_number=fields.invoice_number,
            issue_date=fields.issue_date,
            due_date=fields.due_date,
            total_amount=fields.total_amount,
            currency=fields.currency,
            confidence=fields.confidence,
        )

    def needs_review(self, threshold: float) -> bool:
        """Whether a person should check this invoice: a field every invoice has is missing
        (the due date may be), or a field was read with a confidence below `threshold`."""
        for name, score in self.confidence.as_dict().items():
            if getattr(self, name) is None:
                if name in REQUIRED_FIELDS:
                    return True
            elif score is None or score < threshold:
                return True
        return False


@dataclass(frozen=True, slots=True)
class OcrPart:
    """A scanned document to read with OCR, and the hints the text reader would use for it."""

    part_key: str
    filename: str
    content_type: str
    payload: bytes = field(repr=False)
    hints: TextHints


@dataclass(slots=True)
class Findings:
    """The invoices of one message, its scanned documents left for OCR, and why parts that
    looked like invoices could not be read."""

    invoices: list[FoundInvoice] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    ocr_parts: list[OcrPart] = field(default_factory=list)


def find_invoices(message: ParsedMessage, limits: ScanLimits = DEFAULT_LIMITS) -> Findings:
    """The invoices `message` carries, possibly none, and why invoice-like parts were unread."""
    findings = Findings()
    if message.too_deep:
        findings.unreadable.append(
            f"MIME parts nested deeper than {limits.max_depth}: not all read"
        )
    _MessageReader(message, limits, findings, outer_sender=None).read(part_key="body")
    return findings


class _MessageReader:
    """Reads one (sub)message; forwarded mails get a reader of their own."""

    def __init__(
        self,
        message: ParsedMessage,
        limits: ScanLimits,
        findings: Findings,
        outer_sender: str | None,
    ) -> None:
        self.message, self.limits, self.findings = message, limits, findings
        self.bodies = body_texts(message.text_body, message.html_body)
        body = self.bodies[0][0] if self.bodies else ""
        self.sender = self._original_sender(body, outer_sender)
        self.context = MailContext(message.subject, body[:3000], from_person(self.sender))
        self.tld = top_level_domain(self.sender)
        # This message's parts queued for OCR: a scanned PDF stands for the invoice (the body is
        # not read as one), a photo only when the body is no invoice itself.
        self._scan_queued = False
        self._photos: list[OcrPart] = []

    def read(self, part_key: str) -> None:
        """Add this message's invoices and unread parts to the findings, then its forwards'."""
        found: list[FoundInvoice] = []
        attachments = self.message.attachments
        for attachment in attachments[self.limits.max_attachments :]:
            if self._invoice_like(attachment.filename, attachment.content_type):
                self.findings.unreadable.append(f"{attachment.filename}: not read, too many parts")
        for attachment in attachments[: self.limits.max_attachments]:
            invoice = self._attachment(attachment)
            if invoice is not None and invoice.part_key not in {f.part_key for f in found}:
                found.append(invoice)
        for skipped in self.message.skipped:
            if self._invoice_like(skipped.filename, skipped.content_type):
                self.findings.unreadable.append(f"{skipped.filename}: not read, {skipped.reason}")
        found = _without_copies(found)
        if not found and not self._scan_queued:
            found = self._body(part_key)
            if found:  # the body is the invoice: its images are a logo, a signature
                self.findings.ocr_parts = [
                    part for part in self.findings.ocr_parts if part not in self._photos
                ]
        self.findings.invoices.extend(found)
        for inner in self.message.forwarded:
            reader = _MessageReader(inner, self.limits, self.findings, outer_sender=self.sender)
            reader.read(part_key=f"body:{inner.message_id}")

    def _invoice_like(self, filename: str, content_type: str) -> bool:
        """Whether a part that was not read could have been an invoice."""
        subject, body = self.message.subject, self.context.body
        return worth_fetching(subject, body, filename, content_type) and invoice_related(
            self.context, filename
        )

    def _original_sender(self, body: str, outer_sender: str | None) -> str:
        """The sender whose company issued the invoice: for a mail forwarded inline, the one
        named in the forward's header block."""
        if is_forward(self.message.subject, body):
            return forwarded_sender(body) or self.message.sender
        return self.message.sender

    def _attachment(self, attachment: Attachment) -> FoundInvoice | None:
        name, kind, payload = attachment.filename, attachment.content_type, attachment.payload
        if ocr_candidate_image(name, kind, self.message.subject, self.context.body):
            self._photos.append(self._to_ocr(attachment))
            return None
        try:
            if looks_like_xml(name, kind):
                e_invoice = read_e_invoice(payload)
                return self._structured(attachment, e_invoice) if e_invoice else None
            if looks_like_pdf(name, kind, payload):
                return self._pdf(attachment)
        except Unreadable as exc:
            if invoice_related(self.context, name):
                self.findings.unreadable.append(f"{name}: {exc}")
        return None

    def _pdf(self, attachment: Attachment) -> FoundInvoice | None:
        document = PdfDocument(attachment.payload, self.limits)
        try:
            xml = document.e_invoice_xml()
            e_invoice = read_e_invoice(xml) if xml else None
        except Unreadable:
            e_invoice = None  # a broken embedded XML leaves the PDF's text to read
        if e_invoice is not None:
            return self._structured(attachment, e_invoice)
        layout = document.layout()

        scanned = needs_ocr_pdf(layout)
        if not is_invoice_attachment(layout.lines, attachment.filename, self.context):
            if scanned and self._invoice_like(attachment.filename, attachment.content_type):
                self._scanned(attachment)
            return None
        if scanned and _no_invoice_text(layout):
            self._scanned(attachment)
            return None
        fields = read_fields(layout, self._hints(attachment.filename))
        return FoundInvoice.of(attachment.part_key, InvoiceSource.PDF, attachment.filename, fields)

    def _scanned(self, attachment: Attachment) -> None:
        self._scan_queued = True
        self._to_ocr(attachment)

    def _to_ocr(self, attachment: Attachment) -> OcrPart:
        part = OcrPart(
            attachment.part_key,
            attachment.filename,
            attachment.content_type,
            attachment.payload,
            self._hints(attachment.filename),
        )
        self.findings.ocr_parts.append(part)
        return part

    def _structured(self, attachment: Attachment, e_invoice: EInvoice) -> FoundInvoice:
        fields = e_invoice.fields.or_else(self._sender_vendor())
        return FoundInvoice.of(attachment.part_key, e_invoice.source, attachment.filename, fields)

    def _body(self, part_key: str) -> list[FoundInvoice]:
        for text, from_html in self.bodies:
            layout = layout_of_text(own_part(text, self.message.subject))
            if not is_invoice_body(layout.lines, self.context):
                continue
            fields = read_fields(layout, self._hints("", body=True))
            if fields.total_amount is None:
                continue
            source = InvoiceSource.HTML if from_html else InvoiceSource.TEXT
            return [FoundInvoice.of(part_key, source, None, fields)]
        return []

    def _hints(self, filename: str, body: bool = False) -> TextHints:
        return TextHints(self.message.subject, self.tld, filename, self.sender, body)

    def _sender_vendor(self) -> InvoiceFields:
        """The sender's company, for an e-invoice that names no seller: a weak reading."""
        name = sender_company(self.sender) or domain_company(self.sender)
        return InvoiceFields(
            vendor=name, confidence=Confidence(vendor=SENDER_NAME if name else None)
        )


def _no_invoice_text(layout: Layout) -> bool:
    """Whether a PDF's short text (scanner.ocr.needs_ocr_pdf) is no invoice on its own: a
    scanner's stamp or a page number, with neither a number nor a total, so the page image holds
    the invoice. A terse invoice that states them is read as it is, without OCR. Read without
    the mail's hints, which would lend it the subject's number."""
    own = read_fields(layout, TextHints())
    return own.total_amount is None and own.invoice_number is None


def _without_copies(found: list[FoundInvoice]) -> list[FoundInvoice]:
    """An e-invoice and its copy in another form (an XRechnung XML sent with its PDF) are one
    invoice, kept from the most exact source: same number, same or unknown total."""
    exact = {InvoiceSource.FACTURX, InvoiceSource.UBL}
    ranked = sorted(found, key=lambda f: list(InvoiceSource).index(f.source))
    kept: list[FoundInvoice] = []
    for invoice in ranked:
        if not any(_same_invoice(invoice, other) for other in kept if other.source in exact):
            kept.append(invoice)
    return [invoice for invoice in found if invoice in kept]


def _same_invoice(one: FoundInvoice, other: FoundInvoice) -> bool:
    if one.invoice_number is None or one.invoice_number != other.invoice_number:
        return False
    if one.total_amount is None or other.total_amount is None:
        return True
    return abs(one.total_amount) == abs(other.total_amount)
