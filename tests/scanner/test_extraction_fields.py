"""Fields read from text: amounts, currencies, dates, invoice numbers and the grand total."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from scanner.extraction.amounts import amounts_in
from scanner.extraction.currency import codes_in, iso_currency
from scanner.extraction.dates import DATE, day_first, parse_date
from scanner.extraction.fields import TextHints, read_fields
from scanner.extraction.language import language_of
from scanner.extraction.layout import layout_of_text
from scanner.extraction.numbers import find_number
from scanner.extraction.record import InvoiceFields
from scanner.extraction.totals import find_total


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("Total: 1,234.56", "1234.56", None),
        ("Gesamtbetrag 1.234,56 €", "1234.56", "€"),
        ("Total TTC 1 234,56 €", "1234.56", "€"),
        ("Total TTC 1\u00a0234,56\u00a0€", "1234.56", "€"),
        ("Montant 1\u202f234,56 €", "1234.56", "€"),
        ("Total CHF 1'234.50", "1234.50", "CHF"),
        ("Total 1’234.50 CHF", "1234.50", "CHF"),
        ("Total ¥12,345", "12345", "¥"),
        ("Amount due NOK 1 250,00", "1250.00", "NOK"),
        ("Total: US$ 99.00", "99.00", "US$"),
        ("Total C$ 12.00", "12.00", "C$"),
        ("Total: 5 EUR", "5", "EUR"),
        ("Erhaltene Anzahlungen -50,00", "-50.00", None),
        ("Credit (12.00)", "-12.00", None),
        ("Betrag 50,00-", "-50.00", None),
    ],
)
def test_amounts(text: str, amount: str, currency: str | None) -> None:
    [money] = amounts_in(text)
    assert (money.amount, money.currency) == (Decimal(amount), currency)


@pytest.mark.parametrize(
    "text",
    [
        "Datum 05.03.2026",
        "MwSt 19 %",
        "Rechnung Nr. 2026",
        "IBAN DE89 3704 0044 0532 0130 00",
        "Tel. +49 89 123456",
        "Qty 3",
        "Total 123456789012345.00 EUR",  # more than any invoice: a misread reference
    ],
)
def test_not_amounts(text: str) -> None:
    assert amounts_in(text) == []


@pytest.mark.parametrize(
    ("raw", "tld", "codes", "iso"),
    [
        ("€", None, (), "EUR"),
        ("usd", None, (), "USD"),
        ("$", None, (), "USD"),
        ("$", "ca", (), "CAD"),
        ("$", "au", (), "AUD"),
        ("$", "com", ("CAD",), "CAD"),
        ("$", "com", ("CAD", "AUD"), "USD"),
        ("US$", "ca", (), "USD"),
        ("C$", None, (), "CAD"),
        ("CA$", None, (), "CAD"),
        ("A$", None, (), "AUD"),
        ("£", None, (), "GBP"),
        ("¥", None, (), "JPY"),
        ("¥", "cn", (), "CNY"),
        ("CHF", None, (), "CHF"),
        ("Fr.", None, (), "CHF"),
        ("NOK", None, (), "NOK"),
        ("kr", None, (), None),
        ("kr", "no", (), "NOK"),
        ("kr.", "dk", (), "DKK"),
        ("kr", None, ("SEK",), "SEK"),
        ("zł", None, (), "PLN"),
        ("??", None, (), None),
        ("XYZ", None, (), None),
        (None, None, (), None),
    ],
)
def test_iso_currency(
    raw: str | None, tld: str | None, codes: tuple[str, ...], iso: str | None
) -> None:
    assert iso_currency(raw, tld, frozenset(codes)) == iso


def test_codes_in_text_are_capital_iso_codes_only() -> None:
    assert codes_in("Amounts in CAD. The VAT and TOTAL are eur.") == {"CAD"}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Thank you for your payment. Your invoice is attached.", "en"),
        ("Vielen Dank für Ihre Bestellung. Die Rechnung ist im Anhang.", "de"),
        ("Merci pour votre paiement. Votre facture est disponible.", "fr"),
        ("Gracias por su pago. Le enviamos su factura.", "es"),
        ("12345", "en"),
    ],
)
def test_language(text: str, language: str) -> None:
    assert language_of(text) == language


@pytest.mark.parametrize(
    ("raw", "language", "first", "expected"),
    [
        ("March 5, 2026", "en", False, date(2026, 3, 5)),
        ("Mar 5th, 2026", "en", True, date(2026, 3, 5)),
        ("5 March 2026", "en", True, date(2026, 3, 5)),
        ("05/03/2026", "en", True, date(2026, 3, 5)),
        ("05/03/2026", "en", False, date(2026, 5, 3)),
        ("05.03.2026", "en", False, date(2026, 3, 5)),  # dots are always day first
        ("05.03.26", "de", True, date(2026, 3, 5)),
        ("5. März 2026", "de", True, date(2026, 3, 5)),
        ("3 juin 2026", "fr", True, date(2026, 6, 3)),
        ("1er juin 2026", "fr", True, date(2026, 6, 1)),
        ("15 sept. 2026", "fr", True, date(2026, 9, 15)),
        ("5 de marzo de 2026", "es", True, date(2026, 3, 5)),
        ("2026-03-05", "en", False, date(2026, 3, 5)),
        ("2026-03-05", "de", True, date(2026, 3, 5)),
        ("12.34.5678", "de", True, None),  # not a date at all
        ("01.01.1850", "de", True, None),  # no invoice is that old
    ],
)
def test_parse_date(raw: str, language: str, first: bool, expected: date | None) -> None:
    assert DATE.fullmatch(raw)
    assert parse_date(raw, language, first) == expected


@pytest.mark.parametrize(
    ("text", "language", "currency", "tld", "expected"),
    [
        ("Date 03/25/2026", "en", "EUR", "de", False),  # only month first can read 03/25
        ("Date 25/03/2026", "en", "USD", "us", True),  # only day first can read 25/03
        ("Date 05/03/2026", "en", "USD", "com", False),  # a US invoice
        ("Date 05/03/2026", "en", "USD", "us", False),
        ("Date 05/03/2026", "en", None, "gov", False),
        ("Date 05/03/2026", "en", "GBP", "uk", True),
        ("Date 05/03/2026", "en", "EUR", "ie", True),
        ("Date 05/03/2026", "en", "CHF", "ch", True),
        ("Date 05/03/2026", "en", None, "com", True),
        ("Fecha 05/03/2026", "es", "USD", "com", True),  # Spanish: day first even in dollars
        ("Datum 05/03/2026", "de", None, None, True),
        ("Date 05/03/2026", "fr", None, None, True),
    ],
)
def test_day_first(
    text: str, language: str, currency: str | None, tld: str | None, expected: bool
) -> None:
    assert day_first(text, language, currency, tld) is expected


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Invoice No.: INV-2026-0042", "INV-2026-0042"),
        ("Invoice #12345", "12345"),
        ("Invoice number inv_8f7a6b12", "inv_8f7a6b12"),
        ("Receipt No. KC-R-220931", "KC-R-220931"),
        ("Rechnungsnummer: RE-100", "RE-100"),
        ("Rechnung Nr. 2026/17 vom 05.03.2026", "2026/17"),
        ("Rechnungs-Nr. 4400128871", "4400128871"),
        ("Belegnummer: DE-1193-0817-44", "DE-1193-0817-44"),
        ("N° de facture : 2026-001", "2026-001"),
        ("Facture n° F-123", "F-123"),
        ("Facture N°FA2026-01", "FA2026-01"),
        ("N° de reçu : T-89410", "T-89410"),
        ("Nº Factura: A-0042", "A-0042"),
        ("Número de factura: 77/2026", "77/2026"),
        ("Factura nº 12", "12"),
        ("Nº Recibo R-7", "R-7"),
        ("Invoice No.   Date\nINV-001   05/03/2026", "INV-001"),
        ("Date   Invoice No.\n05/03/2026   INV-002", "INV-002"),
        ("INVOICE 2026-001\nAcme Ltd", "2026-001"),
        ("Invoice date: 05/03/2026", None),
        ("Invoice total: 1,234.00", None),
    ],
)
def test_invoice_number(text: str, number: str | None) -> None:
    found = find_number(layout_of_text(text))
    assert (found.value if found else None) == number


@pytest.mark.parametrize(
    ("subject", "number"),
    [
        ("Your invoice INV-00077", "INV-00077"),
        ("Rechnung 2026-001 von Acme", "2026-001"),
        ("Facture F-2026-01 disponible", "F-2026-01"),
        ("Your receipt from Stripe #1234-5678", "1234-5678"),
        ("Invoice for March", None),
    ],
)
def test_invoice_number_from_subject(subject: str, number: str | None) -> None:
    found = find_number(layout_of_text(""), subject)
    assert (found.value if found else None) == number


@pytest.mark.parametrize(
    ("text", "total"),
    [
        ("Subtotal $100.00\nTax $8.00\nTotal $108.00", "108.00"),
        ("Total $108.00\nSubtotal $100.00\nVAT $8.00", "108.00"),
        ("Zwischensumme 100,00 €\nMwSt. 19 % 19,00 €\nGesamtbetrag 119,00 €", "119.00"),
        ("Nettobetrag 100,00 €\nUSt. 19,00 €\nRechnungsbetrag 119,00 €", "119.00"),
        ("Total HT 1 000,00 €\nTVA 20 % 200,00 €\nTotal TTC 1 200,00 €", "1200.00"),
        ("Sous-total 100,00 €\nTVA 20,00 €\nMontant TTC 120,00 €", "120.00"),
        ("Total HT 100,00 €\nTVA 20,00 €\nNet à payer 120,00 €", "120.00"),
        ("Base imponible 100,00 €\nIVA 21% 21,00 €\nTotal a pagar 121,00 €", "121.00"),
        ("Subtotal 100,00 €\nIVA 21,00 €\nImporte total 121,00 €", "121.00"),
        ("Base imponible 100,00 €\nIVA 21,00 €\nTotal factura 121,00 €", "121.00"),
        # The amount due after an advance, as on the printed Factur-X samples.
        ("Bruttosumme 197,65\nErhaltene Anzahlungen -50,00\nZahlbetrag 147,65", "147.65"),
        # A paid receipt: nothing due, the amount paid is the total.
        ("Total $50.00\nAmount paid $50.00\nAmount due $0.00", "50.00"),
        ("Bezahlter Betrag\t23,43 €", "23.43"),
        # Label above its value, as PDF text often puts it.
        ("Total due\n£120.00", "120.00"),
        # Net + tax decides between two totals of the same rank.
        ("Net 100.00\nVAT 20.00\nTotal 120.00\nTotal 20.00 incl. tax", "120.00"),
        ("Gesamtbetrag der Zuschläge 5,80\nGesamtbetrag 119,00", "119.00"),
        ("Total (incl. VAT) 119.00", "119.00"),
        ("Total 119.00 incl. 19.00 VAT", "119.00"),
    ],
)
def test_grand_total(text: str, total: str) -> None:
    found = find_total(layout_of_text(text))
    assert found is not None and found.value.amount == Decimal(total)


@pytest.mark.parametrize(
    "text",
    [
        "Subtotal 100.00\nVAT 19.00",
        "Total HT 100,00 €",
        "Zwischensumme 100,00 €\nNetto 100,00 €",
        "Total VAT 19.00\nTax total 19.00",
        "Description Qty Total\nWidget 2 10.00 20.00",
    ],
)
def test_no_grand_total(text: str) -> None:
    assert find_total(layout_of_text(text)) is None


def fields(text: str, subject: str = "", tld: str | None = None) -> InvoiceFields:
    return read_fields(layout_of_text(text), TextHints(subject, tld))


LANGUAGE_DOCS = [
    (
        "ACME Hosting Ltd\nINVOICE\nInvoice No.: INV-2026-0042\nInvoice date: March 5, 2026\n"
        "Due date: April 4, 2026\nSubtotal $100.00\nTax (8%) $8.00\nTotal $108.00\n",
        "com",
        InvoiceFields(
            "ACME Hosting Ltd",
            "INV-2026-0042",
            date(2026, 3, 5),
            date(2026, 4, 4),
            Decimal("108.00"),
            "USD",
        ),
    ),
    (
        "Pinecrest Software, Inc.\nInvoice No. PS-1\nInvoice date 03/05/2026\n"
        "Due date 04/04/2026\nTotal $1,299.00\n",
        "example",
        InvoiceFields(
            "Pinecrest Software, Inc.",
            "PS-1",
            date(2026, 3, 5),
            date(2026, 4, 4),
            Decimal("1299.00"),
            "USD",
        ),
    ),
    (
        "Northgate Ltd\nInvoice #: INV-558213\nDate: 09/06/2026\nPayment due: 09/07/2026\n"
        "Net amount £281.17\nTax 20 % £56.23\nAmount due £337.40\n",
        "example",
        InvoiceFields(
            "Northgate Ltd",
            "INV-558213",
            date(2026, 6, 9),
            date(2026, 7, 9),
            Decimal("337.40"),
            "GBP",
        ),
    ),
    (
        "Muster GmbH · Hauptstr. 1 · 80333 München\nRECHNUNG\nRechnungsnummer: RE-2026-17\n"
        "Rechnungsdatum: 05.03.2026\nZwischensumme 1.000,00 €\nMwSt. 19 % 190,00 €\n"
        "Gesamtbetrag 1.190,00 €\nZahlbar bis 04.04.2026\n",
        "de",
        InvoiceFields(
            "Muster GmbH",
            "RE-2026-17",
            date(2026, 3, 5),
            date(2026, 4, 4),
            Decimal("1190.00"),
            "EUR",
        ),
    ),
    (
        "Dupont SARL\nFacture n° F-2026-001\nDate : 3 juin 2026\nÉchéance : 3 juillet 2026\n"
        "Total HT 1 000,00 €\nTVA 20 % 200,00 €\nTotal TTC 1 200,00 €\n",
        "fr",
        InvoiceFields(
            "Dupont SARL",
            "F-2026-001",
            date(2026, 6, 3),
            date(2026, 7, 3),
            Decimal("1200.00"),
            "EUR",
        ),
    ),
    (
        "Ejemplo S.L.\nNº Factura: A-0042\nFecha de factura: 5 de marzo de 2026\n"
        "Fecha de vencimiento: 04/04/2026\nBase imponible 100,00 €\nIVA 21% 21,00 €\n"
        "Total a pagar 121,00 €\n",
        "es",
        InvoiceFields(
            "Ejemplo S.L.", "A-0042", date(2026, 3, 5), date(2026, 4, 4), Decimal("121.00"), "EUR"
        ),
    ),
    (
        "Alpenblick AG\nInvoice No. AB-1\nInvoice date 01/09/2026\nDue date 30/09/2026\n"
        "Subtotal CHF 5'112.50\nVAT 8.1 % CHF 414.11\nTotal CHF 5'526.61\n",
        "example",
        InvoiceFields(
            "Alpenblick AG", "AB-1", date(2026, 9, 1), date(2026, 9, 30), Decimal("5526.61"), "CHF"
        ),
    ),
    (
        "Sakura K.K.\nInvoice No. SDT-1\nInvoice date 2026-10-05\nDue date 2026-10-31\n"
        "Subtotal ¥12,600\nTax 10 % ¥1,260\nTotal ¥13,860\n",
        "example",
        InvoiceFields(
            "Sakura K.K.", "SDT-1", date(2026, 10, 5), date(2026, 10, 31), Decimal("13860"), "JPY"
        ),
    ),
    (
        "Maple Leaf Print Co.\nInvoice No. MLP-1\nInvoice date 2026-08-04\n"
        "Subtotal $100.00\nHST 13 % $13.00\nTotal $113.00\nAll amounts in CAD.\n",
        "example",
        InvoiceFields(
            "Maple Leaf Print Co.", "MLP-1", date(2026, 8, 4), None, Decimal("113.00"), "CAD"
        ),
    ),
    (
        "Büro GmbH\nRechnungsnummer 77\nDatum 05.03.2026\nWährung: EUR\n"
        "Zwischensumme 100,00\nMwSt. 19,00\nGesamtbetrag 119,00\nZahlbar innerhalb von 14 Tagen.\n",
        "de",
        InvoiceFields(
            "Büro GmbH", "77", date(2026, 3, 5), date(2026, 3, 19), Decimal("119.00"), "EUR"
        ),
    ),
]


# The vendor is read from the document too: each opens with the seller's name.
@pytest.mark.parametrize(("text", "tld", "expected"), LANGUAGE_DOCS)
def test_fields_of_a_document(text: str, tld: str, expected: InvoiceFields) -> None:
    assert fields(text, tld=tld) == expected


def test_issue_and_due_dates_from_a_header_row() -> None:
    found = fields(
        "Invoice date   Due date   Invoice No.\n05/03/2026   04/04/2026   INV-9\nTotal €10.00",
        tld="ie",
    )
    assert (found.issue_date, found.due_date, found.invoice_number) == (
        date(2026, 3, 5),
        date(2026, 4, 4),
        "INV-9",
    )


def test_delivery_and_order_dates_are_not_the_issue_date() -> None:
    found = fields(
        "Lieferdatum: 01.03.2026\nBestelldatum: 28.02.2026\nRechnungsdatum: 05.03.2026\n"
        "Gesamtbetrag 10,00 €"
    )
    assert found.issue_date == date(2026, 3, 5)


def test_payment_terms_with_a_date_give_the_due_date() -> None:
    found = fields(
        "Rechnung Nr. 1 vom 05.06.2018\nGesamtbetrag 10,00 €\nZahlbar innerhalb 30 Tagen "
        "netto bis 04.07.2018, 3% Skonto innerhalb 10 Tagen bis 15.06.2018"
    )
    assert (found.issue_date, found.due_date) == (date(2018, 6, 5), date(2018, 7, 4))


def test_a_huge_text_is_read_only_in_part() -> None:
    text = "Invoice No. X-1\nTotal 5.00 EUR\n" + "filler line 1234\n" * 200_000
    assert len(layout_of_text(text).lines) < 5000
    assert fields(text).total_amount == Decimal("5.00")
