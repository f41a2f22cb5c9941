"""Mails whose attachment is a bare XML e-invoice (UBL or CII), and the corpus's own such files.

A UBL file has source "UBL", a CII file "FACTURX" (the CII syntax is Factur-X's, whether or not
a PDF carries it). The generated files are checked against the document they were written from.
"""

from __future__ import annotations

import datetime

from tests.support.corpus.data import document, entries
from tests.support.corpus.mime import as_bytes, attach, new_message, sent_on
from tests.support.corpus.model import CorpusMail
from tests.support.corpus.wording import XML_TEXTS, pick
from tests.support.corpus.xml_truth import XmlTruth, cii_truth, ubl_truth
from tests.support.corpus.xml_writers import cii_xml, ubl_xml


def xml_mail(
    name: str,
    sender: str,
    when: datetime.datetime,
    attachment: tuple[bytes, str],
    truth: XmlTruth,
    source: str,
) -> CorpusMail:
    """A mail sent `when` whose only attachment is an XML e-invoice: (xml, filename)."""
    xml, filename = attachment
    lang = name.split("-", 1)[0]
    subject, body = pick(name, XML_TEXTS[lang])
    fields = {"number": truth.invoice_number, "vendor": truth.vendor}
    msg = new_message(name, sender, subject.format(**fields), when)
    msg.set_content(body.format(**fields))
    attach(msg, xml, "application/xml", filename)
    return CorpusMail(name, as_bytes(msg), "invoice", (truth.expected(source, filename),))


def generated_xml_mails() -> list[CorpusMail]:
    """One mail per entry of data/xml_invoices.toml, the file named after the invoice number."""
    mails = []
    for entry in entries("xml_invoices"):
        doc, is_ubl = document(entry), entry["format"] == "UBL"
        xml = ubl_xml(doc) if is_ubl else cii_xml(doc)
        truth = ubl_truth(xml) if is_ubl else cii_truth(xml)
        filename = doc.number.replace("/", "-") + (".xml" if is_ubl else ".cii.xml")
        source = "UBL" if is_ubl else "FACTURX"
        if truth.expected(source, filename) != doc.expected(source, filename):
            raise AssertionError(f"{entry['name']}: the XML does not say what the document says")
        when = sent_on(doc.issued, entry["name"], doc.seller.country)
        mails.append(
            xml_mail(entry["name"], doc.seller.sender, when, (xml, filename), truth, source)
        )
    return mails
