"""CII and UBL XML for the corpus's own structured invoices, written from an `InvoiceDoc`.

The CII is Factur-X BASIC WL (header totals, no lines), the smallest profile with a due date; it
passes the factur-x library's XSD check. The UBL follows Peppol BIS Billing 3.0's shape.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from lxml import etree
from lxml.builder import ElementMaker

from tests.support.corpus.documents import BUYERS, InvoiceDoc
from tests.support.corpus.xml_truth import CII_NS, UBL_NS

_RSM = ElementMaker(namespace=CII_NS["rsm"], nsmap=CII_NS)
_RAM = ElementMaker(namespace=CII_NS["ram"], nsmap=CII_NS)
_UDT = ElementMaker(namespace=CII_NS["udt"], nsmap=CII_NS)
_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
_UBL_NSMAP: dict[str | None, str] = {None: _INVOICE_NS}
_UBL_NSMAP.update(UBL_NS)
_UBL = ElementMaker(namespace=_INVOICE_NS, nsmap=_UBL_NSMAP)
_CAC = ElementMaker(namespace=UBL_NS["cac"], nsmap=UBL_NS)
_CBC = ElementMaker(namespace=UBL_NS["cbc"], nsmap=UBL_NS)


def _amount(doc: InvoiceDoc, value: Decimal) -> str:
    return f"{doc.style.round(value):f}"


def _cii_date(day: datetime.date) -> etree._Element:
    return _UDT.DateTimeString(day.strftime("%Y%m%d"), format="102")


def cii_xml(doc: InvoiceDoc) -> bytes:
    """`doc` as a Factur-X BASIC WL Cross Industry Invoice."""
    seller, buyer = doc.seller, BUYERS[doc.lang]
    street, city = seller.address[0], seller.address[-1]
    postcode, _, town = city.partition(" ")
    settlement = [
        _RAM.InvoiceCurrencyCode(doc.currency),
        _RAM.ApplicableTradeTax(
            _RAM.CalculatedAmount(_amount(doc, doc.tax)),
            _RAM.TypeCode("VAT"),
            _RAM.BasisAmount(_amount(doc, doc.subtotal)),
            _RAM.CategoryCode("S"),
            _RAM.RateApplicablePercent(f"{doc.tax_rate:.2f}"),
        ),
    ]
    if doc.due is not None:
        settlement.append(_RAM.SpecifiedTradePaymentTerms(_RAM.DueDateDateTime(_cii_date(doc.due))))
    settlement.append(
        _RAM.SpecifiedTradeSettlementHeaderMonetarySummation(
            _RAM.LineTotalAmount(_amount(doc, doc.subtotal)),
            _RAM.TaxBasisTotalAmount(_amount(doc, doc.subtotal)),
            _RAM.TaxTotalAmount(_amount(doc, doc.tax), currencyID=doc.currency),
            _RAM.GrandTotalAmount(_amount(doc, doc.total)),
            _RAM.DuePayableAmount(_amount(doc, doc.total)),
        )
    )
    root = _RSM.CrossIndustryInvoice(
        _RSM.ExchangedDocumentContext(
            _RAM.GuidelineSpecifiedDocumentContextParameter(_RAM.ID("urn:factur-x.eu:1p0:basicwl"))
        ),
        _RSM.ExchangedDocument(
            _RAM.ID(doc.number),
            _RAM.TypeCode("380"),
            _RAM.IssueDateTime(_cii_date(doc.issued)),
        ),
        _RSM.SupplyChainTradeTransaction(
            _RAM.ApplicableHeaderTradeAgreement(
                _RAM.SellerTradeParty(
                    _RAM.Name(seller.name),
                    _RAM.PostalTradeAddress(
                        _RAM.PostcodeCode(postcode),
                        _RAM.LineOne(street),
                        _RAM.CityName(town),
                        _RAM.CountryID(seller.country),
                    ),
                    _RAM.SpecifiedTaxRegistration(_RAM.ID(seller.vat_id, schemeID="VA")),
                ),
                _RAM.BuyerTradeParty(_RAM.Name(buyer[0])),
            ),
            _RAM.ApplicableHeaderTradeDelivery(),
            _RAM.ApplicableHeaderTradeSettlement(*settlement),
        ),
    )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def ubl_xml(doc: InvoiceDoc) -> bytes:
    """`doc` as a UBL 2.1 Invoice in the shape of Peppol BIS Billing 3.0."""
    seller, buyer, currency = doc.seller, BUYERS[doc.lang], doc.currency
    header = [
        _CBC.CustomizationID(
            "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
        ),
        _CBC.ProfileID("urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"),
        _CBC.ID(doc.number),
        _CBC.IssueDate(doc.issued.isoformat()),
    ]
    if doc.due is not None:
        header.append(_CBC.DueDate(doc.due.isoformat()))
    header += [_CBC.InvoiceTypeCode("380"), _CBC.DocumentCurrencyCode(currency)]
    lines = [
        _CAC.InvoiceLine(
            _CBC.ID(str(number)),
            _CBC.InvoicedQuantity(f"{item.quantity:f}", unitCode="C62"),
            _CBC.LineExtensionAmount(_amount(doc, doc.amount(item)), currencyID=currency),
            _CAC.Item(_CBC.Name(item.description)),
            _CAC.Price(_CBC.PriceAmount(f"{item.unit_price:f}", currencyID=currency)),
        )
        for number, item in enumerate(doc.lines, start=1)
    ]
    root = _UBL.Invoice(
        *header,
        _CAC.AccountingSupplierParty(
            _CAC.Party(
                _CAC.PartyName(_CBC.Name(seller.name)),
                _CAC.PostalAddress(
                    _CBC.StreetName(seller.address[0]),
                    _CBC.CityName(seller.address[-1]),
                    _CAC.Country(_CBC.IdentificationCode(seller.country)),
                ),
                _CAC.PartyTaxScheme(_CBC.CompanyID(seller.vat_id), _CAC.TaxScheme(_CBC.ID("VAT"))),
                _CAC.PartyLegalEntity(_CBC.RegistrationName(seller.name)),
            )
        ),
        _CAC.AccountingCustomerParty(
            _CAC.Party(_CAC.PartyLegalEntity(_CBC.RegistrationName(buyer[0])))
        ),
        _CAC.TaxTotal(_CBC.TaxAmount(_amount(doc, doc.tax), currencyID=currency)),
        _CAC.LegalMonetaryTotal(
            _CBC.LineExtensionAmount(_amount(doc, doc.subtotal), currencyID=currency),
            _CBC.TaxExclusiveAmount(_amount(doc, doc.subtotal), currencyID=currency),
            _CBC.TaxInclusiveAmount(_amount(doc, doc.total), currencyID=currency),
            _CBC.PayableAmount(_amount(doc, doc.total), currencyID=currency),
        ),
        *lines,
    )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
