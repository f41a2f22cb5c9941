"""Mails with PDF attachments that are not invoices, though many carry amounts and totals.

Quotations (laid out exactly like the invoices, totals and all), agendas, bank statements,
contracts with fees, CVs, price lists and delivery notes. A bank statement lists payments made
and is no invoice; a quote asks for an order and is none either.
"""

from __future__ import annotations

from tests.support.corpus.data import document, entries
from tests.support.corpus.mime import as_bytes, attach, new_message, sent_at, sent_on
from tests.support.corpus.model import CorpusMail
from tests.support.corpus.pdf import invoice_pdf, text_pdf


def quote_mails() -> list[CorpusMail]:
    """Quotations with a PDF that reads like an invoice until its title."""
    mails = []
    for entry in entries("not_invoices", "quote"):
        doc, name = document(entry), entry["name"]
        msg = new_message(name, doc.seller.sender, entry["subject"], sent_on(doc.issued, name))
        msg.set_content(entry["body"])
        attach(msg, invoice_pdf(doc), "application/pdf", entry["file"])
        mails.append(CorpusMail(name, as_bytes(msg), "not_invoice", ()))
    return mails


def document_mails() -> list[CorpusMail]:
    """Agendas, statements, contracts, CVs, price lists and delivery notes as PDFs."""
    mails = []
    for entry in entries("not_invoices", "document"):
        name, sender = entry["name"], entry["sender"]
        when = sent_at(name)
        msg = new_message(name, sender, entry["subject"], when)
        msg.set_content(entry["body"])
        blocks = [block if isinstance(block, str) else tuple(block) for block in entry["blocks"]]
        author = entry.get("author", sender.split(" <")[0].strip('"'))
        footer = entry.get("footer", ())
        data = text_pdf(entry["title"], blocks, created=when.date(), author=author, footer=footer)
        attach(msg, data, "application/pdf", entry["file"])
        mails.append(CorpusMail(name, as_bytes(msg), "not_invoice", ()))
    return mails
