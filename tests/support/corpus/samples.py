"""Mails carrying the real ZUGFeRD/XRechnung samples of the xml-rechnung corpus (tests/corpora).

The 26 Factur-X PDFs are attached as they are; their ground truth is read from the XML embedded in
each PDF, not from the CII folder: the four XRECHNUNG_* PDFs embed an XML dated 2018 while the
CII and UBL files of the same name were regenerated with 2024-11-15 (see KNOWN_DISAGREEMENTS).
Standalone UBL and CII files are attached as application/xml.

The EeISI "not_validating_full_invoice" sample is left out: it is a field-by-field test fixture
("Seller name", "Test_EeISI_100"), nothing a mailbox would hold.
"""

from __future__ import annotations

import functools
from datetime import date

import facturx

from tests.support.corpus.mime import as_bytes, attach, new_message, sent_at
from tests.support.corpus.model import CorpusMail
from tests.support.corpus.wording import INVOICE_TEXTS, pick
from tests.support.corpus.xml_mails import xml_mail
from tests.support.corpus.xml_truth import XmlTruth, cii_truth, ubl_truth
from tests.support.paths import XML_RECHNUNG

# The From header of each sample seller's mail: the company, a service desk or a person.
_SENDERS = {
    "Lieferant GmbH": '"Lieferant GmbH" <rechnung@lieferant.example>',
    "Grundbesitz GmbH & Co.": '"Grundbesitz GmbH & Co." <hausverwaltung@grundbesitz.example>',
    "ELEKTRON Industrieservice GmbH": '"ELEKTRON Industrieservice GmbH" '
    "<rechnungen@elektron-service.example>",
    "MUSTER-Autovermietung": '"MUSTER-Autovermietung" <buchhaltung@muster-autovermietung.example>',
    "MVM Musterhafter Versicherungsverein Musterstadt a.G.": '"MVM Kundenservice" '
    "<beitrag@mvm-versicherung.example>",
    "Global Supplies Ltd.": '"Global Supplies Ltd." <invoices@globalsupplies.example>',
    "Verkehrsbetriebe GmbH": '"Verkehrsbetriebe GmbH" <noreply@verkehrsbetriebe.example>',
    "Physiotherapeutin": '"Anna Muster" <praxis@physio-muster.example>',
    "MUSTERLIEFERANT GMBH": '"MUSTERLIEFERANT GMBH" <faktura@musterlieferant.example>',
    "My Supplier Company": '"My Supplier Company N.V." <billing@mysupplier.example>',
}

# Sample stems whose mail is written in English (an international customer); the rest German.
_ENGLISH = {
    "EN16931_Innergemeinschaftliche_Lieferungen",
    "EN16931_Elektron",
    "EN16931_Miete",
    "EN16931_Rabatte",
    "EN16931_SEPA_Prenotification",
    "XRECHNUNG_Reisekostenabrechnung",
}

# Standalone XML files attached on their own: (file, source, language of the mail).
_XML_FILES = (
    ("UBL/EN16931_OEPNV.ubl.xml", "UBL", "de"),
    ("UBL/EN16931_Physiotherapeut.ubl.xml", "UBL", "de"),
    ("UBL/EN16931_Innergemeinschaftliche_Lieferungen.ubl.xml", "UBL", "en"),
    ("UBL/EN16931_Rechnungskorrektur.ubl.xml", "UBL", "de"),
    ("UBL/EN16931_Betriebskostenabrechnung.ubl.xml", "UBL", "de"),
    ("UBL/EN16931_Elektron.ubl.xml", "UBL", "de"),
    ("UBL/EN16931_Haftpflichtversicherung_Versicherungssteuer.ubl.xml", "UBL", "de"),
    ("UBL/EN16931_Miete.ubl.xml", "UBL", "en"),
    ("UBL/EN16931_AbweichenderZahlungsempf.ubl.xml", "UBL", "de"),
    ("UBL/ubl-tc434-creditnote1.xml", "UBL", "en"),
    ("CII/EN16931_2_Teilrechnung.cii.xml", "FACTURX", "de"),
    ("CII/EN16931_Rabatte.cii.xml", "FACTURX", "de"),
    ("CII/EN16931_ElektronischeAdresse.cii.xml", "FACTURX", "de"),
    ("CII/EN16931_Sachversicherung_berechneter_Steuersatz.cii.xml", "FACTURX", "de"),
    ("CII/XRECHNUNG_Einfach.cii.xml", "FACTURX", "de"),
    ("CII/EN16931_Kraftfahrversicherung_Bruttopreise.cii.xml", "FACTURX", "en"),
)

# Where the sample files disagree with each other, by (stem, field): (Factur-X PDF, UBL file).
# The XRECHNUNG_* PDFs embed the 2018 XML; the CII/UBL files were regenerated with new dates.
KNOWN_DISAGREEMENTS: dict[tuple[str, str], tuple[object, object]] = {
    ("XRECHNUNG_Betriebskostenabrechnung", "issue_date"): (date(2018, 3, 5), date(2024, 11, 15)),
    ("XRECHNUNG_Betriebskostenabrechnung", "due_date"): (date(2018, 4, 4), date(2024, 12, 15)),
    ("XRECHNUNG_Einfach", "issue_date"): (date(2018, 3, 5), date(2024, 11, 15)),
    ("XRECHNUNG_Elektron", "issue_date"): (date(2018, 4, 25), date(2024, 11, 15)),
    ("XRECHNUNG_Reisekostenabrechnung", "issue_date"): (date(2018, 7, 13), date(2024, 11, 15)),
}


def fx_stems() -> list[str]:
    """The names (without .pdf) of the Factur-X sample PDFs."""
    return sorted(path.stem for path in (XML_RECHNUNG / "FX").glob("*.pdf"))


@functools.cache
def fx_truth(stem: str) -> XmlTruth:
    """Ground truth of the sample PDF `stem`, from the CII XML embedded in it."""
    _, xml = facturx.get_xml_from_pdf((XML_RECHNUNG / "FX" / f"{stem}.pdf").read_bytes(), False)
    if not xml:
        raise ValueError(f"{stem}.pdf embeds no Factur-X XML")
    return cii_truth(xml)


def cii_file_truth(stem: str) -> XmlTruth:
    """Ground truth of the CII file of `stem` in the xml-rechnung corpus."""
    return cii_truth((XML_RECHNUNG / "CII" / f"{stem}.cii.xml").read_bytes())


def ubl_file_truth(stem: str) -> XmlTruth:
    """Ground truth of the UBL file of `stem` in the xml-rechnung corpus."""
    return ubl_truth((XML_RECHNUNG / "UBL" / f"{stem}.ubl.xml").read_bytes())


def _sender(truth: XmlTruth) -> str:
    return _SENDERS[truth.vendor or ""]


def facturx_sample_mails() -> list[CorpusMail]:
    """One mail per sample Factur-X PDF, attached under its own name."""
    mails = []
    for stem in fx_stems():
        truth = fx_truth(stem)
        lang = "en" if stem in _ENGLISH else "de"
        name = f"{lang}-facturx-{stem}"
        subject, body = pick(name, INVOICE_TEXTS[lang])
        fields = {"number": truth.invoice_number, "vendor": truth.vendor}
        msg = new_message(name, _sender(truth), subject.format(**fields), sent_at(name))
        msg.set_content(body.format(**fields))
        data = (XML_RECHNUNG / "FX" / f"{stem}.pdf").read_bytes()
        attach(msg, data, "application/pdf", f"{stem}.pdf")
        mails.append(
            CorpusMail(name, as_bytes(msg), "invoice", (truth.expected("FACTURX", f"{stem}.pdf"),))
        )
    return mails


def xml_sample_mails() -> list[CorpusMail]:
    """One mail per chosen standalone UBL or CII sample file."""
    mails = []
    for relative, source, lang in _XML_FILES:
        path = XML_RECHNUNG / relative
        xml = path.read_bytes()
        truth = ubl_truth(xml) if source == "UBL" else cii_truth(xml)
        stem = path.name.split(".")[0].removeprefix("ubl-")
        name = f"{lang}-{'ubl' if source == 'UBL' else 'cii'}-{stem}"
        when = sent_at(name)
        mails.append(xml_mail(name, _sender(truth), when, (xml, path.name), truth, source))
    return mails
