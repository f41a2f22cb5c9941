"""A realistic mailbox for measuring the invoice scanner: about 200 mails with ground truth.

The mailbox belongs to the accounts team of a design studio with offices in London, Berlin, Lyon
and Valencia; mails are in English, German, French and Spanish (the first part of each mail's
name), all sent between 2026-06-01 and 2026-11-20, every value fixed so that two builds give
the same bytes.

Invoices, by carrier (`ExpectedInvoice.source`):

* FACTURX: the 26 real ZUGFeRD/XRechnung sample PDFs of the xml-rechnung corpus
  (tests/corpora), PDFs generated here with their CII embedded by the factur-x library, and
  bare CII XML files;
* UBL: real and generated UBL XML files attached as application/xml;
* PDF: text PDFs written with fpdf2 in the four languages, in many number and date formats,
  some with invoice-neutral file names, two in one mail, receipts, a payment reminder that
  attaches the invoice again, and invoices forwarded as message/rfc822 attachments (the expected
  invoice is the PDF inside, possibly two messages deep);
* HTML: receipts and invoices in an HTML-only body;
* TEXT: invoices in a text/plain body, alone or as the alternative of an HTML part.

Not invoices (category "not_invoice"): quotations with invoice-like PDFs, order confirmations,
shipping notices, newsletters about invoicing, agendas, invitations, password resets, bank
statements, contracts, CVs, price lists, delivery notes, chat, and photos of 0.3 to 4.6 MB that
make up most of the corpus's bytes. Hostile mails (category "hostile") are listed in hostile.py;
those marked `unreadable` must be counted as errors and expect no invoice.

Ground-truth rules:

* vendor: the seller's company name as printed on the document (the From display name of most
  generated mails; where the sender is a person or "no-reply", the name is in the document's
  header or the text's signature). For XML, see xml_truth.py. Compared case- and space-blind.
* invoice_number, issue_date, due_date: as printed; due_date None where none is printed
  (receipts, "payable immediately").
* total_amount: the grand total payable, tax included; for structured invoices the amount due
  (BT-115), see xml_truth.py for advances, credit notes and negative totals. currency: ISO 4217.
* attachment_name: the attachment's filename; None for an invoice in the body.
* A receipt for a payment made is an invoice; a quotation, an order confirmation, a bank
  statement and a dunning letter without the invoice are not. A payment reminder that attaches
  the invoice again is an invoice mail (de-pdf-mahnung-10).
"""

from __future__ import annotations

import functools

from tests.support.corpus.body_mails import body_invoice_mails
from tests.support.corpus.forwarded import forwarded_mails
from tests.support.corpus.hostile import hostile_mails
from tests.support.corpus.model import CorpusMail, ExpectedInvoice
from tests.support.corpus.not_invoice_docs import document_mails, quote_mails
from tests.support.corpus.not_invoice_mails import not_invoice_body_mails
from tests.support.corpus.pdf_mails import pdf_mail, pdf_specs
from tests.support.corpus.photos import photo_mails
from tests.support.corpus.samples import facturx_sample_mails, xml_sample_mails
from tests.support.corpus.xml_mails import generated_xml_mails

__all__ = ["CorpusMail", "ExpectedInvoice", "build_corpus"]


@functools.cache
def build_corpus() -> list[CorpusMail]:
    """Every corpus mail, invoices first; built once per process (a second or so)."""
    mails = [
        *facturx_sample_mails(),
        *(pdf_mail(spec) for spec in pdf_specs("facturx_invoices")),
        *xml_sample_mails(),
        *generated_xml_mails(),
        *(pdf_mail(spec) for spec in pdf_specs("pdf_invoices")),
        *forwarded_mails(),
        *body_invoice_mails(),
        *quote_mails(),
        *document_mails(),
        *not_invoice_body_mails(),
        *photo_mails(),
        *hostile_mails(),
    ]
    names = [mail.name for mail in mails]
    if len(set(names)) != len(names):
        raise AssertionError("corpus mail names must be unique")
    return mails
