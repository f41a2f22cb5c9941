"""Mails that carry generated documents as PDF attachments: text PDFs and Factur-X PDFs.

A Factur-X PDF is the same text PDF with its CII XML embedded by the factur-x library; its ground
truth is read back from that XML, so what the test expects is what the file really carries.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from unittest import mock

import facturx

from tests.support.corpus.data import documents, entries
from tests.support.corpus.documents import InvoiceDoc
from tests.support.corpus.mime import OWNER, as_bytes, attach, new_message, sent_on
from tests.support.corpus.model import CorpusMail, ExpectedInvoice
from tests.support.corpus.pdf import invoice_pdf
from tests.support.corpus.wording import INVOICE_TEXTS, RECEIPT_TEXTS, pick
from tests.support.corpus.xml_truth import cii_truth
from tests.support.corpus.xml_writers import cii_xml


@dataclass(frozen=True)
class PdfMail:
    """A mail with one or more documents attached as PDFs.

    `sender`, `subject` and `body` default to the first document's seller and the usual wording
    of its language; `sent` defaults to the first document's issue date; `factur_x` embeds each
    document's CII XML; `ttf` embeds a TrueType font instead of using the PDF core fonts; `to`
    is whom the seller sent it to.
    """

    name: str
    docs: tuple[tuple[InvoiceDoc, str], ...]
    sender: str | None = None
    subject: str | None = None
    body: str | None = None
    sent: datetime.date | None = None
    factur_x: bool = False
    ttf: bool = False
    to: str = OWNER

    @property
    def first(self) -> InvoiceDoc:
        return self.docs[0][0]


def pdf_specs(name: str) -> list[PdfMail]:
    """The mails of data/`name`.toml (see pdf_invoices.toml for the fields)."""
    return [
        PdfMail(
            name=entry["name"],
            docs=documents(entry),
            sender=entry.get("sender"),
            subject=entry.get("subject"),
            body=entry.get("body"),
            sent=entry.get("sent"),
            factur_x=entry.get("factur_x", False),
            ttf=entry.get("ttf", False),
        )
        for entry in entries(name)
    ]


def pdf_message(spec: PdfMail) -> tuple[EmailMessage, tuple[ExpectedInvoice, ...]]:
    """The message of `spec` and the invoices it carries (for forwarding, too)."""
    doc = spec.first
    texts = RECEIPT_TEXTS if doc.kind == "receipt" else INVOICE_TEXTS
    subject, body = pick(spec.name, texts[doc.lang])
    fields = {"number": doc.number, "vendor": doc.seller.name}
    msg = new_message(
        spec.name,
        spec.sender or doc.seller.sender,
        (spec.subject or subject).format(**fields),
        sent_on(spec.sent or doc.issued, spec.name, doc.seller.country),
        to=spec.to,
    )
    msg.set_content((spec.body or body).format(**fields))
    expected = []
    for document, filename in spec.docs:
        data = invoice_pdf(document, ttf=spec.ttf)
        if spec.factur_x:
            data, truth = _with_cii(data, document, filename)
        else:
            truth = document.expected("PDF", filename)
        attach(msg, data, "application/pdf", filename)
        expected.append(truth)
    return msg, tuple(expected)


def pdf_mail(spec: PdfMail) -> CorpusMail:
    """`spec` as a corpus mail (an invoice mail)."""
    msg, expected = pdf_message(spec)
    return CorpusMail(spec.name, as_bytes(msg), "invoice", expected)


def _with_cii(pdf: bytes, doc: InvoiceDoc, filename: str) -> tuple[bytes, ExpectedInvoice]:
    xml = cii_xml(doc)
    with _fixed_clock(doc.issued):
        data = facturx.generate_from_binary(
            pdf, xml, check_xsd=True, lang=doc.lang, pdf_metadata=_metadata(doc)
        )
    truth = cii_truth(xml).expected("FACTURX", filename)
    if truth != doc.expected("FACTURX", filename):
        raise AssertionError(f"{filename}: the embedded XML does not say what the PDF says")
    return data, truth


def _metadata(doc: InvoiceDoc) -> dict[str, str]:
    return {
        "author": doc.seller.name,
        "keywords": "Factur-X",
        "title": f"{doc.labels.title} {doc.number}",
        "subject": f"{doc.labels.title} {doc.number} – {doc.seller.name}",
    }


@contextmanager
def _fixed_clock(day: datetime.date) -> Iterator[None]:
    # factur-x stamps the wall clock into the PDF's info dictionary and XMP metadata, and offers
    # no parameter for it; fixing its two timestamp helpers keeps the corpus byte-for-byte stable.
    # Should a new factur-x rename them, mock.patch fails loudly here rather than going stale.
    stamp = datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC)
    pdf_stamp = stamp.strftime("D:%Y%m%d%H%M%S+00'00'")
    xmp_stamp = stamp.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    with (
        mock.patch.object(facturx.facturx, "_get_pdf_timestamp", lambda date=None: pdf_stamp),
        mock.patch.object(facturx.facturx, "_get_metadata_timestamp", lambda: xmp_stamp),
    ):
        yield
