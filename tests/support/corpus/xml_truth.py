"""Ground truth of structured invoices, read from their CII or UBL XML with plain XPath.

Rules (checked by eye against the rendered sample PDFs):

* vendor: CII SellerTradeParty/Name; UBL PartyLegalEntity/RegistrationName, else PartyName/Name
  (both are EN 16931's BT-27 "Seller name"; UBL's PartyName is the trading name, BT-28). Runs of
  whitespace are collapsed: several samples wrap the name over lines or pad it with blanks.
* total: the amount due for payment, BT-115 (CII DuePayableAmount, UBL PayableAmount), which the
  sample PDFs print as "Zahlbetrag"; GrandTotalAmount (BT-112, tax included) only when BT-115 is
  absent. The two differ where an advance was paid (EN16931_1_Teilrechnung: 197.65 gross, 147.65
  due), where earlier sums are still open (Kraftfahrversicherung: 220.00 gross, 440.00 due) and
  in EN16931_Einfach_negativePaymentDue (529.87 gross, -529.87 due). A credit note (a UBL
  CreditNote, or CII type code 381) states positive amounts by convention, the document type
  giving the direction; its total here is negated, the amount payable by the buyer, so that it
  reads like the corrective invoice Rechnungskorrektur (type 384), which totals -8.79 as
  written. EN16931_Gutschrift is type 389, a self-billed invoice (a "Gutschrift" in German VAT
  law, not a credit note), and stays positive.
* issue date: IssueDateTime (format 102, YYYYMMDD) / IssueDate; due date: the first
  SpecifiedTradePaymentTerms/DueDateDateTime / DueDate (a CreditNote's PaymentMeans/
  PaymentDueDate), None when the document has none. Payment terms in prose are not parsed.
* number: ExchangedDocument/ID / cbc:ID; currency: InvoiceCurrencyCode / DocumentCurrencyCode.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from tests.support.corpus.model import ExpectedInvoice

CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
UBL_NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
_CII_CREDIT_NOTES = {"381"}  # UNTDID 1001 "Credit note"; 384 (corrective invoice) is signed as is
_SUMMATION = (
    "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
    "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
)


@dataclass(frozen=True)
class XmlTruth:
    """The ground-truth fields of one structured invoice."""

    vendor: str | None
    invoice_number: str | None
    issue_date: datetime.date | None
    due_date: datetime.date | None
    total_amount: Decimal | None
    currency: str | None

    def expected(self, source: str, attachment_name: str) -> ExpectedInvoice:
        """These fields as the ground truth of an attachment carried as `source`."""
        return ExpectedInvoice(
            source=source,
            attachment_name=attachment_name,
            vendor=self.vendor,
            invoice_number=self.invoice_number,
            issue_date=self.issue_date,
            due_date=self.due_date,
            total_amount=self.total_amount,
            currency=self.currency,
        )


def _first(root: etree._Element, path: str, ns: dict[str, str]) -> str | None:
    found = root.xpath(path, namespaces=ns)
    if not isinstance(found, list) or not found:
        return None
    node = found[0]
    text = node.text if isinstance(node, etree._Element) else str(node)
    return re.sub(r"\s+", " ", text).strip() if text and text.strip() else None


def _decimal(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None


def _signed(amount: Decimal | None, credit_note: bool) -> Decimal | None:
    return -amount if credit_note and amount is not None else amount


def _date(text: str | None, fmt: str) -> datetime.date | None:
    return datetime.datetime.strptime(text, fmt).date() if text is not None else None


def _parse(xml: bytes) -> etree._Element:
    # No network, no entities: the samples are trusted, but the parser need not be generous.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    return etree.fromstring(xml, parser)


def cii_truth(xml: bytes) -> XmlTruth:
    """Ground truth of a UN/CEFACT Cross Industry Invoice (Factur-X, ZUGFeRD, XRechnung CII)."""
    root = _parse(xml)
    trade = "rsm:SupplyChainTradeTransaction/"
    total = _first(root, _SUMMATION + "ram:DuePayableAmount", CII_NS) or _first(
        root, _SUMMATION + "ram:GrandTotalAmount", CII_NS
    )
    credit_note = _first(root, "rsm:ExchangedDocument/ram:TypeCode", CII_NS) in _CII_CREDIT_NOTES
    return XmlTruth(
        vendor=_first(
            root, trade + "ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty/ram:Name", CII_NS
        ),
        invoice_number=_first(root, "rsm:ExchangedDocument/ram:ID", CII_NS),
        issue_date=_date(
            _first(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", CII_NS),
            "%Y%m%d",
        ),
        due_date=_date(
            _first(
                root,
                trade + "ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradePaymentTerms/"
                "ram:DueDateDateTime/udt:DateTimeString",
                CII_NS,
            ),
            "%Y%m%d",
        ),
        total_amount=_signed(_decimal(total), credit_note),
        currency=_first(
            root, trade + "ram:ApplicableHeaderTradeSettlement/ram:InvoiceCurrencyCode", CII_NS
        ),
    )


def ubl_truth(xml: bytes) -> XmlTruth:
    """Ground truth of a UBL 2.1 Invoice or CreditNote (Peppol BIS, XRechnung UBL)."""
    root = _parse(xml)
    party = "cac:AccountingSupplierParty/cac:Party/"
    vendor = _first(root, party + "cac:PartyLegalEntity/cbc:RegistrationName", UBL_NS) or _first(
        root, party + "cac:PartyName/cbc:Name", UBL_NS
    )
    total = "cac:LegalMonetaryTotal/"
    return XmlTruth(
        vendor=vendor,
        invoice_number=_first(root, "cbc:ID", UBL_NS),
        issue_date=_date(_first(root, "cbc:IssueDate", UBL_NS), "%Y-%m-%d"),
        due_date=_date(
            _first(root, "cbc:DueDate", UBL_NS)
            or _first(root, "cac:PaymentMeans/cbc:PaymentDueDate", UBL_NS),
            "%Y-%m-%d",
        ),
        total_amount=_signed(
            _decimal(
                _first(root, total + "cbc:PayableAmount", UBL_NS)
                or _first(root, total + "cbc:TaxInclusiveAmount", UBL_NS)
            ),
            etree.QName(root).localname == "CreditNote",
        ),
        currency=_first(root, "cbc:DocumentCurrencyCode", UBL_NS),
    )
