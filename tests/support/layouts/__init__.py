"""Invoices of fourteen languages in the layouts real vendors use, with what each one says.

Every locale of locales.toml is printed in the letter, modern, buyer-first, parties and
header-grid layouts, each with other wordings of its labels, and as a till receipt for a few; a
prepaid one states an amount due below its total. These are the scanner's test of reading
layouts and languages that the real development corpus (mostly German) lacks; they are scored
like it (tests/support/realdocs).
"""

from __future__ import annotations

import functools
import tomllib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from tests.support.layouts.render import LAYOUTS, Printed
from tests.support.realdocs import RealDoc

_LOCALES = tomllib.loads((Path(__file__).parent / "locales.toml").read_text(encoding="utf-8"))
# The languages the generated invoices are written in.
LANGUAGES = sorted({str(locale["language"]) for locale in _LOCALES.values()})

# What each locale's seller invoices: three lines, in its language.
_ITEMS = {
    "en": ("Website maintenance (hours)", "Hosting, annual plan", "Domain renewal"),
    "de": ("Elektroinstallation Küche", "Kabel NYM-J 3x1,5 (m)", "Anfahrt"),
    "fr": ("Pose de placards sur mesure", "Panneaux chêne massif", "Déplacement"),
    "es": ("Vajilla de porcelana (caja)", "Cubertería de acero", "Portes"),
    "nl": ("Drukwerk folders A5", "Visitekaartjes (doos)", "Verzendkosten"),
    "it": ("Stampa menù plastificati", "Biglietti da visita", "Spedizione"),
    "pt": ("Resmas de papel A4", "Envelopes DL (caixa)", "Transporte"),
    "pl": ("Druk ulotek A5", "Wizytówki (opakowanie)", "Transport"),
    "sv": ("Kontorsstolar", "Skrivbordslampor", "Frakt"),
    "da": ("Cykelservice", "Ny kæde", "Dæk og slange"),
    "no": ("Frakt Bergen-Ålesund", "Kjølecontainer (døgn)", "Håndtering"),
    "cs": ("Tisk letáků A5", "Vizitky (balení)", "Doprava"),
    "sk": ("Kuchynská linka na mieru", "Montáž", "Doprava"),
    "fi": ("Kuljetus Helsinki-Tampere", "Kylmäkontti (vrk)", "Käsittely"),
}
# Invoice numbers as each locale's vendors write them.
_NUMBERS = {
    "en-GB": "INV-2024-0187",
    "en-US": "10452",
    "en-IN": "ST/24-25/0456",
    "de-DE": "RE-24-1187",
    "de-CH": "CH-2024-088",
    "fr-FR": "F2024-0457",
    "es-ES": "A-2024-0099",
    "nl-NL": "20240312",
    "it-IT": "145/2024",
    "pt-PT": "FT 2024/118",
    "pl-PL": "FV/2024/03/015",
    "sv-SE": "10045",
    "da-DK": "2024-117",
    "nb-NO": "31055",
    "cs-CZ": "2024001",
    "sk-SK": "FA2024/0034",
    "fi-FI": "1024",
}
_RECEIPTS = ("en-GB", "de-DE", "fr-FR", "nl-NL", "it-IT", "sv-SE")
_LAYOUTS = ("letter", "modern", "buyer_first", "parties", "header_grid")
_RECEIPT = len(_LAYOUTS)  # the layout index receipts are printed under: no due date


def _printed(locale_name: str, layout_index: int, prepaid: bool) -> Printed:
    locale = _LOCALES[locale_name]
    issued = date(2024, 3, 5) + timedelta(days=7 * layout_index + len(locale_name))
    items = tuple(
        (description, Decimal(quantity), Decimal(price))
        for description, quantity, price in zip(
            _ITEMS[locale["language"]], (3, 12, 1), ("95.00", "12.40", "1250.00"), strict=True
        )
    )
    return Printed(
        locale=locale,
        variant=layout_index,
        number=_NUMBERS[locale_name] + (f"-{layout_index}" if layout_index else ""),
        issued=issued,
        due=issued + timedelta(days=30) if layout_index != _RECEIPT else None,
        items=items,
        prepaid=Decimal("500.00") if prepaid else Decimal(0),
    )


def _document(locale_name: str, layout: str, layout_index: int, prepaid: bool) -> RealDoc:
    printed = _printed(locale_name, layout_index, prepaid)
    return RealDoc(
        name=f"{locale_name}-{layout}{'-prepaid' if prepaid else ''}",
        source="generated layouts",
        pdf=LAYOUTS[layout](printed),
        vendor=printed.locale["seller"][0],
        invoice_number=printed.number,
        issue_date=printed.issued,
        totals=frozenset({printed.total, printed.amount_due}),
        currency=_currency(printed.locale),
        language=printed.locale["language"],
    )


def _currency(locale: dict[str, object]) -> str:
    symbol = str(locale["symbol"])
    by_symbol = {
        "£": "GBP",
        "$": "USD",
        "Rs.": "INR",
        "€": "EUR",
        "CHF": "CHF",
        "zł": "PLN",
        "Kč": "CZK",
    }
    by_language = {"sv": "SEK", "da": "DKK", "no": "NOK"}
    return by_symbol.get(symbol) or by_language[str(locale["language"])]


@functools.cache
def layout_documents() -> tuple[RealDoc, ...]:
    """Every locale in the five invoice layouts (some prepaid), and some receipts."""
    docs = []
    for index, name in enumerate(_LOCALES):
        for layout_index, layout in enumerate(_LAYOUTS):
            prepaid = (index + layout_index) % 5 == 0
            docs.append(_document(name, layout, layout_index, prepaid))
        if name in _RECEIPTS:
            docs.append(_document(name, "receipt", _RECEIPT, False))
    return tuple(docs)
