"""E-invoices in XML: CII (the XML of Factur-X/ZUGFeRD, and XRechnung) and UBL Invoice/CreditNote.

Values are read exactly from the elements EN 16931 defines, so nothing here guesses. Elements are
found by local name (`{*}`), which covers every namespace version (ZUGFeRD 1 to Factur-X 1.0x).

The total is the amount the document asks to be paid (BT-115, CII DuePayableAmount, UBL
PayableAmount), as the "Zahlbetrag"/"Amount due" line of the printed invoice shows it, sign as
written: after an advance payment it is the rest still due, and a negative one is a refund due.
The invoice total with tax (BT-112) stands in when BT-115 is missing, and when advance payments
(BT-113) leave exactly nothing due: a receipt for an order paid in advance says 0.00 due, and
"0.00" would say nothing of what the invoice cost. A credit note (UBL CreditNote, or a
credit-note type code such as 381) states positive amounts that flow back to the buyer: its total
is reported negative, so that the totals of a vendor add up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from models.enums import InvoiceSource
from scanner.extraction.amounts import MAX_AMOUNT
from scanner.extraction.currency import iso_currency
from scanner.extraction.record import InvoiceFields, Unreadable

# UNTDID 1001 document types that credit the buyer (EN 16931 code list for BT-3).
_CREDIT_NOTE_TYPES = frozenset(
    {"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"}
)

# CII D16B (Factur-X, ZUGFeRD 2, XRechnung) and CII D09 (ZUGFeRD 1) name their parts differently.
_CII_PATHS = {
    "document": ("{*}ExchangedDocument", "{*}HeaderExchangedDocument"),
    "agreement": (
        "{*}SupplyChainTradeTransaction/{*}ApplicableHeaderTradeAgreement",
        "{*}SpecifiedSupplyChainTradeTransaction/{*}ApplicableSupplyChainTradeAgreement",
    ),
    "settlement": (
        "{*}SupplyChainTradeTransaction/{*}ApplicableHeaderTradeSettlement",
        "{*}SpecifiedSupplyChainTradeTransaction/{*}ApplicableSupplyChainTradeSettlement",
    ),
    "summation": (
        "{*}SpecifiedTradeSettlementHeaderMonetarySummation",
        "{*}SpecifiedTradeSettlementMonetarySummation",
    ),
}


@dataclass(frozen=True, slots=True)
class EInvoice:
    """The fields of one e-invoice and the syntax they were read from."""

    source: InvoiceSource
    fields: InvoiceFields


def looks_like_xml(filename: str, content_type: str) -> bool:
    """Whether a part is XML by its name or type (e-invoices travel as either)."""
    return content_type in {"application/xml", "text/xml"} or filename.lower().endswith(".xml")


def read_e_invoice(payload: bytes) -> EInvoice | None:
    """The e-invoice in `payload`, None for XML of another kind; Unreadable for broken or hostile
    XML. Entities are never expanded and nothing is fetched: a DTD is refused outright, since no
    e-invoice syntax has one and it carries entity-expansion and external-entity attacks."""
    root = _parse(payload)
    name = etree.QName(root).localname
    if name in {"CrossIndustryInvoice", "CrossIndustryDocument"}:
        return EInvoice(InvoiceSource.FACTURX, _cii_fields(root))
    if name in {"Invoice", "CreditNote"}:
        return EInvoice(InvoiceSource.UBL, _ubl_fields(root, credit=name == "CreditNote"))
    return None


def _parse(payload: bytes) -> etree._Element:
    # A parser per call: lxml parsers must not be shared between threads.
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        tree = etree.fromstring(payload, parser).getroottree()
    except etree.XMLSyntaxError as exc:
        raise Unreadable(f"malformed XML: {exc}") from None
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise Unreadable("XML with a document type declaration refused")
    root = tree.getroot()
    if not isinstance(root.tag, str):  # pragma: no cover - fromstring returns an element
        raise Unreadable("XML without a root element")
    return root


def _cii_fields(root: etree._Element) -> InvoiceFields:
    document = _first(root, _CII_PATHS["document"])
    agreement = _first(root, _CII_PATHS["agreement"])
    settlement = _first(root, _CII_PATHS["settlement"])
    summation = _first(settlement, _CII_PATHS["summation"])
    due = _first(
        settlement, ("{*}SpecifiedTradePaymentTerms/{*}DueDateDateTime/{*}DateTimeString",)
    )
    type_code = _text(document, "{*}TypeCode")
    return InvoiceFields.exact(
        vendor=_text(agreement, "{*}SellerTradeParty/{*}Name"),
        invoice_number=_text(document, "{*}ID"),
        issue_date=_cii_date(_first(document, ("{*}IssueDateTime/{*}DateTimeString",))),
        due_date=_cii_date(due),
        total_amount=_payable(
            grand=_amount(summation, "{*}GrandTotalAmount"),
            prepaid=_amount(summation, "{*}TotalPrepaidAmount"),
            due=_amount(summation, "{*}DuePayableAmount"),
            credit=type_code in _CREDIT_NOTE_TYPES,
        ),
        currency=iso_currency(_text(settlement, "{*}InvoiceCurrencyCode")),
    )


def _ubl_fields(root: etree._Element, credit: bool) -> InvoiceFields:
    party = root.find("{*}AccountingSupplierParty/{*}Party")
    totals = root.find("{*}LegalMonetaryTotal")
    type_code = _text(root, "{*}InvoiceTypeCode") or _text(root, "{*}CreditNoteTypeCode")
    due = _text(root, "{*}DueDate") or _text(root, "{*}PaymentMeans/{*}PaymentDueDate")
    return InvoiceFields.exact(
        vendor=_text(party, "{*}PartyLegalEntity/{*}RegistrationName")
        or _text(party, "{*}PartyName/{*}Name"),
        invoice_number=_text(root, "{*}ID"),
        issue_date=_iso_date(_text(root, "{*}IssueDate")),
        due_date=_iso_date(due),
        total_amount=_payable(
            grand=_amount(totals, "{*}TaxInclusiveAmount"),
            prepaid=_amount(totals, "{*}PrepaidAmount"),
            due=_amount(totals, "{*}PayableAmount"),
            credit=credit or type_code in _CREDIT_NOTE_TYPES,
        ),
        currency=iso_currency(_text(root, "{*}DocumentCurrencyCode")),
    )


def _payable(
    grand: Decimal | None, prepaid: Decimal | None, due: Decimal | None, credit: bool
) -> Decimal | None:
    total = due if due is not None else grand
    if due == 0 and prepaid and grand:
        total = grand  # paid in advance: the receipt's total, not the nothing left to pay
    if total is not None and credit:
        total = -abs(total)
    return total


def _first(element: etree._Element | None, paths: tuple[str, ...]) -> etree._Element | None:
    if element is None:
        return None
    for path in paths:
        found = element.find(path)
        if found is not None:
            return found
    return None


def _text(element: etree._Element | None, path: str) -> str | None:
    found = element.find(path) if element is not None else None
    if found is None or not found.text:
        return None
    return " ".join(found.text.split()) or None


def _amount(element: etree._Element | None, path: str) -> Decimal | None:
    text = _text(element, path)
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    # An absurd amount is a broken or hostile file, and Decimal128 could not store it.
    return value if value.is_finite() and abs(value) < MAX_AMOUNT else None


def _cii_date(element: etree._Element | None) -> date | None:
    # Format 102 (CCYYMMDD) is the one EN 16931 allows for document dates.
    if element is None or not element.text or element.get("format", "102") != "102":
        return None
    digits = element.text.strip()
    if len(digits) != 8 or not digits.isdigit():
        return None
    return _date_or_none(int(digits[:4]), int(digits[4:6]), int(digits[6:]))


def _iso_date(text: str | None) -> date | None:
    if not text or len(text) < 10:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _date_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
