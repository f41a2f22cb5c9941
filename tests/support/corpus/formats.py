"""How amounts and dates are printed in the corpus's documents, per sender locale.

The variety is the point: a scanner must read "1.234,56 €", "CHF 1'234.50" and "¥12,345" alike,
and must know that 03/05/2026 from a US sender is the 5th of March but the 3rd of May from Europe.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class MoneyStyle:
    """One way of printing an amount: the template places the number next to its symbol."""

    currency: str
    template: str
    group: str
    point: str
    places: int = 2

    def format(self, value: Decimal) -> str:
        """`value` printed the way this style's senders print it."""
        text = f"{abs(value):,.{self.places}f}"
        whole, _, fraction = text.partition(".")
        number = whole.replace(",", self.group) + (self.point + fraction if fraction else "")
        return ("-" if value < 0 else "") + self.template.format(number)

    def round(self, value: Decimal) -> Decimal:
        """`value` rounded to the currency's minor unit (none for JPY)."""
        return value.quantize(Decimal(1).scaleb(-self.places), rounding=ROUND_HALF_UP)


NBSP = "\u00a0"  # what French word processors put between thousands and before the euro sign

MONEY = {
    "eur-de": MoneyStyle("EUR", "{} €", ".", ","),
    "eur-de-code": MoneyStyle("EUR", "EUR {}", ".", ","),
    "eur-fr": MoneyStyle("EUR", "{}" + NBSP + "€", NBSP, ","),
    "eur-fr-space": MoneyStyle("EUR", "{} €", " ", ","),
    "eur-es": MoneyStyle("EUR", "{} €", ".", ","),
    "eur-en": MoneyStyle("EUR", "€{}", ",", "."),
    "eur-plain": MoneyStyle("EUR", "{}", ",", "."),  # the currency is named once, elsewhere
    "usd": MoneyStyle("USD", "${}", ",", "."),
    "usd-plain": MoneyStyle("USD", "{}", ",", "."),
    "gbp": MoneyStyle("GBP", "£{}", ",", "."),
    "chf": MoneyStyle("CHF", "CHF {}", "'", "."),
    "jpy": MoneyStyle("JPY", "¥{}", ",", ".", 0),
    "cad": MoneyStyle("CAD", "CAD {}", ",", "."),
    "nok": MoneyStyle("NOK", "NOK {}", " ", ","),
}

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
}
MONTHS = {lang: names.split() for lang, names in _MONTHS.items()}


def format_date(day: datetime.date, style: str) -> str:
    """`day` in one of the corpus's date styles, named after who writes dates that way."""
    d, m, y = day.day, day.month, day.year
    match style:
        case "en-us":
            return f"{MONTHS['en'][m - 1]} {d}, {y}"
        case "en-us-short":
            return f"{MONTHS['en'][m - 1][:3]} {d}, {y}"
        case "en-gb":
            return f"{d} {MONTHS['en'][m - 1]} {y}"
        case "us-num":
            return f"{m:02d}/{d:02d}/{y}"
        case "eu-num":
            return f"{d:02d}/{m:02d}/{y}"
        case "de-num":
            return f"{d:02d}.{m:02d}.{y}"
        case "de-long":
            return f"{d}. {MONTHS['de'][m - 1]} {y}"
        case "fr-long":
            return f"{d} {MONTHS['fr'][m - 1]} {y}"
        case "es-long":
            return f"{d} de {MONTHS['es'][m - 1]} de {y}"
        case "iso":
            return day.isoformat()
    raise ValueError(f"unknown date style {style!r}")


@dataclass(frozen=True)
class Labels:
    """The words a document prints next to its fields."""

    title: str
    number: str
    date: str
    due: str
    bill_to: str
    description: str
    quantity: str
    unit_price: str
    amount: str
    subtotal: str
    tax: str
    total: str


LABELS = {
    "en": Labels(
        "INVOICE",
        "Invoice No.",
        "Invoice date",
        "Due date",
        "Bill to",
        "Description",
        "Qty",
        "Unit price",
        "Amount",
        "Subtotal",
        "VAT",
        "Total",
    ),
    "de": Labels(
        "RECHNUNG",
        "Rechnungsnummer",
        "Rechnungsdatum",
        "Fällig am",
        "Rechnungsempfänger",
        "Bezeichnung",
        "Menge",
        "Einzelpreis",
        "Betrag",
        "Zwischensumme",
        "MwSt.",
        "Gesamtbetrag",
    ),
    "fr": Labels(
        "FACTURE",
        "N° de facture",
        "Date de facture",
        "Date d'échéance",
        "Facturé à",
        "Désignation",
        "Qté",
        "Prix unitaire HT",
        "Montant HT",
        "Sous-total",
        "TVA",
        "Total TTC",
    ),
    "es": Labels(
        "FACTURA",
        "Nº Factura",
        "Fecha de factura",
        "Fecha de vencimiento",
        "Facturar a",
        "Concepto",
        "Cant.",
        "Precio unitario",
        "Importe",
        "Subtotal",
        "IVA",
        "Total",
    ),
}

# Receipts for payments made: no due date, and the total is what was paid.
RECEIPT_LABELS = {
    "en": ("RECEIPT", "Receipt No.", "Date paid", "Amount paid"),
    "de": ("QUITTUNG", "Belegnummer", "Bezahlt am", "Bezahlter Betrag"),
    "fr": ("REÇU", "N° de reçu", "Date de paiement", "Montant payé"),
    "es": ("RECIBO", "Nº Recibo", "Fecha de pago", "Importe pagado"),
}

# Quotations carry totals like an invoice but ask for an order: the finder must leave them out.
QUOTE_LABELS = {
    "en": ("QUOTATION", "Quote No.", "Date", "Valid until"),
    "de": ("ANGEBOT", "Angebotsnummer", "Datum", "Gültig bis"),
    "fr": ("DEVIS", "Devis n°", "Date", "Valable jusqu'au"),
    "es": ("PRESUPUESTO", "Nº Presupuesto", "Fecha", "Válido hasta"),
}

# Order confirmations list what was ordered and its price, but bill nothing yet.
ORDER_LABELS = {
    "en": ("ORDER CONFIRMATION", "Order number", "Order date", "Expected delivery"),
    "de": ("BESTELLBESTÄTIGUNG", "Bestellnummer", "Bestelldatum", "Voraussichtliche Lieferung"),
    "fr": ("CONFIRMATION DE COMMANDE", "N° de commande", "Date de commande", "Livraison prévue"),
    "es": ("CONFIRMACIÓN DE PEDIDO", "Nº de pedido", "Fecha del pedido", "Entrega prevista"),
}
