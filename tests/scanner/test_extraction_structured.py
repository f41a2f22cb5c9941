"""E-invoices: the xml-rechnung samples in their three forms, exact values, hostile XML."""

from __future__ import annotations

from dataclasses import astuple, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from models.enums import InvoiceSource
from scanner.extraction.record import InvoiceFields, Unreadable
from scanner.extraction.structured import read_e_invoice
from scanner.invoices import FoundInvoice, find_invoices
from scanner.messages import Attachment, ParsedMessage
from tests.support.paths import XML_RECHNUNG as SAMPLES

STEMS = sorted(path.stem for path in (SAMPLES / "FX").glob("*.pdf"))
# The four XRECHNUNG_* PDFs embed the 2018 edition of their XML; the CII and UBL files beside
# them are the 2024 edition (XRechnung 3.0), re-dated 2024-11-15. Everything else agrees.
REDATED = {
    "XRECHNUNG_Betriebskostenabrechnung": {
        "issue_date": (date(2018, 3, 5), date(2024, 11, 15)),
        "due_date": (date(2018, 4, 4), date(2024, 12, 15)),
    },
    "XRECHNUNG_Einfach": {"issue_date": (date(2018, 3, 5), date(2024, 11, 15))},
    "XRECHNUNG_Elektron": {"issue_date": (date(2018, 4, 25), date(2024, 11, 15))},
    "XRECHNUNG_Reisekostenabrechnung": {"issue_date": (date(2018, 7, 13), date(2024, 11, 15))},
}
FIELDS = ("vendor", "invoice_number", "issue_date", "due_date", "total_amount", "currency")


def found_in(path: Path, content_type: str) -> FoundInvoice:
    message = ParsedMessage(
        "<m@x>",
        "Rechnung",
        '"Lieferant GmbH" <rechnung@lieferant.example>',
        None,
        attachments=[Attachment(path.name, content_type, path.read_bytes())],
    )
    findings = find_invoices(message)
    assert findings.unreadable == []
    [invoice] = findings.invoices
    return invoice


def fields_of(invoice: FoundInvoice) -> dict[str, object]:
    return {name: getattr(invoice, name) for name in FIELDS}


def test_all_samples_are_there() -> None:
    assert len(STEMS) == 26


@pytest.mark.parametrize("stem", STEMS)
def test_three_forms_of_one_invoice_agree(stem: str) -> None:
    pdf = found_in(SAMPLES / "FX" / f"{stem}.pdf", "application/pdf")
    cii = found_in(SAMPLES / "CII" / f"{stem}.cii.xml", "application/xml")
    ubl = found_in(SAMPLES / "UBL" / f"{stem}.ubl.xml", "text/xml")
    assert (pdf.source, cii.source, ubl.source) == (
        InvoiceSource.FACTURX,
        InvoiceSource.FACTURX,
        InvoiceSource.UBL,
    )
    assert fields_of(cii) == fields_of(ubl)
    expected = fields_of(cii)
    for name, (in_pdf, in_files) in REDATED.get(stem, {}).items():
        assert expected[name] == in_files
        expected[name] = in_pdf
    assert fields_of(pdf) == expected
    assert all(getattr(cii, name) is not None for name in FIELDS if name != "due_date")


def test_the_non_validating_sample_agrees_between_cii_and_ubl() -> None:
    stem = "not_validating_full_invoice_based_onTest_EeISI_300_CENfullmodel"
    cii = found_in(SAMPLES / "CII" / f"{stem}.cii.xml", "application/xml")
    ubl = found_in(SAMPLES / "UBL" / f"{stem}.ubl.xml", "application/xml")
    assert fields_of(cii) == fields_of(ubl)
    assert (cii.total_amount, cii.currency) == (Decimal("205.00"), "EUR")  # not the NOK tax


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        # The plain case: nothing prepaid, no due date printed.
        ("EN16931_Einfach", ("Lieferant GmbH", "471102", date(2018, 3, 5), None, "529.87")),
        (
            "EN16931_Einfach_DueDate",
            ("Lieferant GmbH", "471102", date(2018, 3, 5), date(2019, 3, 5), "529.87"),
        ),
        # 197.65 gross less a 50.00 advance: 147.65 is what this partial invoice asks for.
        ("EN16931_1_Teilrechnung", ("Lieferant GmbH", "471102", date(2018, 6, 5), None, "147.65")),
        # A year's service charges of 18,310.63 less 17,808.00 paid monthly: 502.63 due.
        (
            "EN16931_Betriebskostenabrechnung",
            ("Grundbesitz GmbH & Co.", "471102", date(2018, 3, 5), date(2018, 4, 4), "502.63"),
        ),
        # Paid twice already: a refund of 529.87 is due, and the sign says so.
        (
            "EN16931_Einfach_negativePaymentDue",
            ("Lieferant GmbH", "471102", date(2018, 3, 5), None, "-529.87"),
        ),
        # A corrective invoice (type 384) that really totals minus 8.79.
        (
            "EN16931_Rechnungskorrektur",
            ("MUSTERLIEFERANT GMBH", "RK21012345", date(2018, 9, 16), None, "-8.79"),
        ),
        (
            "EN16931_OEPNV",
            (
                "Verkehrsbetriebe GmbH",
                "E2018092011804",
                date(2018, 9, 20),
                date(2018, 10, 3),
                "9.00",
            ),
        ),
    ],
)
def test_exact_values(stem: str, expected: tuple[object, ...]) -> None:
    invoice = found_in(SAMPLES / "FX" / f"{stem}.pdf", "application/pdf")
    vendor, number, issued, due, total = expected
    assert fields_of(invoice) == {
        "vendor": vendor,
        "invoice_number": number,
        "issue_date": issued,
        "due_date": due,
        "total_amount": Decimal(str(total)),
        "currency": "EUR",
    }
    assert invoice.attachment_name == f"{stem}.pdf"


def test_ubl_credit_note_is_negative() -> None:
    invoice = found_in(SAMPLES / "UBL" / "ubl-tc434-creditnote1.xml", "application/xml")
    assert fields_of(invoice) == {
        "vendor": "My Supplier Company",
        "invoice_number": "018304 / 28865",
        "issue_date": date(2019, 9, 23),
        "due_date": None,
        "total_amount": Decimal("-100.11"),
        "currency": "EUR",
    }


def cii(summation: str, type_code: str = "380") -> bytes:
    return f"""<rsm:CrossIndustryInvoice
      xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
      xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
      xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
      <rsm:ExchangedDocument><ram:ID> F-1 </ram:ID><ram:TypeCode>{type_code}</ram:TypeCode>
        <ram:IssueDateTime><udt:DateTimeString format="102">20260305</udt:DateTimeString>
        </ram:IssueDateTime></rsm:ExchangedDocument>
      <rsm:SupplyChainTradeTransaction>
        <ram:ApplicableHeaderTradeAgreement><ram:SellerTradeParty><ram:Name>Acme
          SARL</ram:Name></ram:SellerTradeParty></ram:ApplicableHeaderTradeAgreement>
        <ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
          <ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime>
            <udt:DateTimeString format="102">20260404</udt:DateTimeString>
          </ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>
          <ram:SpecifiedTradeSettlementHeaderMonetarySummation>{summation}
          </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        </ram:ApplicableHeaderTradeSettlement>
      </rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>""".encode()


def total_of(xml: bytes) -> Decimal | None:
    e_invoice = read_e_invoice(xml)
    assert e_invoice is not None
    return e_invoice.fields.total_amount


def test_cii_fields_are_read_and_whitespace_collapsed() -> None:
    e_invoice = read_e_invoice(cii("<ram:DuePayableAmount>119.00</ram:DuePayableAmount>"))
    assert e_invoice is not None and e_invoice.source is InvoiceSource.FACTURX
    assert e_invoice.fields == InvoiceFields(
        "Acme SARL", "F-1", date(2026, 3, 5), date(2026, 4, 4), Decimal("119.00"), "EUR"
    )


@pytest.mark.parametrize(
    ("summation", "type_code", "total"),
    [
        # Paid in advance (a receipt): nothing is due, the total with tax is what it cost.
        (
            "<ram:GrandTotalAmount>119.00</ram:GrandTotalAmount><ram:TotalPrepaidAmount>119.00"
            "</ram:TotalPrepaidAmount><ram:DuePayableAmount>0.00</ram:DuePayableAmount>",
            "380",
            "119.00",
        ),
        # Without BT-115 the grand total stands in.
        ("<ram:GrandTotalAmount>119.00</ram:GrandTotalAmount>", "380", "119.00"),
        # A CII credit note (381) states a positive amount that flows back: reported negative.
        (
            "<ram:GrandTotalAmount>50.00</ram:GrandTotalAmount><ram:DuePayableAmount>50.00"
            "</ram:DuePayableAmount>",
            "381",
            "-50.00",
        ),
        # A total nobody could pay is a broken file: no total rather than a poisoned one.
        ("<ram:DuePayableAmount>1E+999999</ram:DuePayableAmount>", "380", None),
        ("<ram:DuePayableAmount>99999999999999999999.99</ram:DuePayableAmount>", "380", None),
        ("<ram:DuePayableAmount>NaN</ram:DuePayableAmount>", "380", None),
        ("<ram:DuePayableAmount>12,00</ram:DuePayableAmount>", "380", None),
    ],
)
def test_total_rules(summation: str, type_code: str, total: str | None) -> None:
    assert total_of(cii(summation, type_code)) == (Decimal(total) if total else None)


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:ID>&h;</cbc:ID></Invoice>"""
SMALL_ENTITY = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY n "INV-1">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:ID>&n;</cbc:ID></Invoice>"""


def external_entity(tmp_path: Path) -> bytes:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    return f"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">
<!ENTITY y SYSTEM "http://127.0.0.1:9/steal">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:ID>&x;&y;</cbc:ID></Invoice>""".encode()


@pytest.mark.parametrize(
    "payload", [BOMB, SMALL_ENTITY, b"", b"   ", b"\x00\xffgarbage", b"<Invoice"]
)
def test_hostile_or_broken_xml_is_unreadable(payload: bytes) -> None:
    with pytest.raises(Unreadable):
        read_e_invoice(payload)


def test_external_entities_are_neither_read_nor_fetched(tmp_path: Path) -> None:
    with pytest.raises(Unreadable, match="document type declaration"):
        read_e_invoice(external_entity(tmp_path))


def test_hostile_xml_attachment_counts_as_unreadable_not_as_an_exception(tmp_path: Path) -> None:
    attachments = [
        Attachment("invoice.xml", "application/xml", BOMB),
        Attachment("rechnung.xml", "text/xml", external_entity(tmp_path)),
        Attachment("empty-invoice.xml", "application/xml", b""),
    ]
    message = ParsedMessage(
        "<m@x>", "Invoice 7", "Acme <a@acme.example>", None, attachments=attachments
    )
    findings = find_invoices(message)
    assert findings.invoices == []
    assert [reason.split(":")[0] for reason in findings.unreadable] == [
        "invoice.xml",
        "rechnung.xml",
        "empty-invoice.xml",
    ]
    assert not any("TOP-SECRET" in reason for reason in findings.unreadable)


def test_xml_of_another_kind_is_no_invoice() -> None:
    assert read_e_invoice(b"<?xml version='1.0'?><Order><ID>1</ID></Order>") is None
    message = ParsedMessage(
        "<m@x>",
        "Order 5",
        "Shop <s@shop.example>",
        None,
        attachments=[Attachment("order.xml", "application/xml", b"<Order/>")],
    )
    assert find_invoices(message).invoices == []


def test_pdf_and_its_own_xml_in_one_mail_are_one_invoice() -> None:
    stem = "EN16931_Einfach"
    attachments = [
        Attachment(f"{stem}.pdf", "application/pdf", (SAMPLES / "FX" / f"{stem}.pdf").read_bytes()),
        Attachment(
            "xrechnung.xml", "application/xml", (SAMPLES / "UBL" / f"{stem}.ubl.xml").read_bytes()
        ),
    ]
    message = ParsedMessage(
        "<m@x>", "Rechnung 471102", "Lieferant <r@lieferant.example>", None, attachments=attachments
    )
    [invoice] = find_invoices(message).invoices
    assert (invoice.source, invoice.attachment_name) == (InvoiceSource.FACTURX, f"{stem}.pdf")


def test_record_fills_missing_fields_only() -> None:
    known = InvoiceFields(vendor="A", total_amount=Decimal(0))
    merged = known.or_else(InvoiceFields(vendor="B", invoice_number="7", total_amount=Decimal(5)))
    assert astuple(merged) == astuple(replace(known, invoice_number="7"))
