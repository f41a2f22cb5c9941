"""ISO 4217 codes from the codes and symbols printed on invoices.

Symbols shared by several currencies ("$", "kr", "¥") are read with a hint: an ISO code printed
elsewhere in the same document, else the sender's country (its domain's top-level domain).
"$" alone is USD unless a hint says otherwise; "kr" alone is read by the document's language
(Swedish, Danish, Norwegian) when nothing else tells, else stays unknown.
"""

from __future__ import annotations

import re

# The ISO 4217 table ships with factur-x (its dependency iso4217), kept current by its maintainers.
from iso4217 import Currency

ISO_CODES = frozenset(currency.code for currency in Currency)

# Unambiguous symbols and local abbreviations, compared without case, spaces and dots.
_SYMBOLS = {
    "€": "EUR",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "us$": "USD",
    "usd$": "USD",
    "£": "GBP",
    "gbp£": "GBP",
    "c$": "CAD",
    "ca$": "CAD",
    "cad$": "CAD",
    "a$": "AUD",
    "au$": "AUD",
    "nz$": "NZD",
    "hk$": "HKD",
    "s$": "SGD",
    "r$": "BRL",
    "mx$": "MXN",
    "fr": "CHF",
    "sfr": "CHF",
    "chf": "CHF",
    "₹": "INR",
    "rs": "INR",
    "₩": "KRW",
    "₽": "RUB",
    "₺": "TRY",
    "₪": "ILS",
    "zł": "PLN",
    "zl": "PLN",
    "kč": "CZK",
    "ft": "HUF",
    "lei": "RON",
    "円": "JPY",
    "元": "CNY",
    "rmb": "CNY",
}

# What an ambiguous symbol means for a sender's top-level domain.
_AMBIGUOUS = {
    "$": ({"ca": "CAD", "au": "AUD", "nz": "NZD", "sg": "SGD", "hk": "HKD", "mx": "MXN"}, "USD"),
    "kr": ({"se": "SEK", "no": "NOK", "dk": "DKK", "is": "ISK"}, None),
    "¥": ({"cn": "CNY"}, "JPY"),
    "￥": ({"cn": "CNY"}, "JPY"),
}
_SYMBOL_FAMILY = {
    "$": {"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"},
    "kr": {"SEK", "NOK", "DKK", "ISK"},
}
_SYMBOL_FAMILY["¥"] = _SYMBOL_FAMILY["￥"] = {"JPY", "CNY"}
# What an ambiguous symbol means in a document's language, when the sender's domain is silent.
_BY_LANGUAGE = {"kr": {"sv": "SEK", "da": "DKK", "no": "NOK"}}
_STRIP = re.compile(r"[\s.]+")


def iso_currency(
    raw: str | None,
    tld: str | None = None,
    codes: frozenset[str] = frozenset(),
    language: str | None = None,
) -> str | None:
    """An ISO 4217 code for a currency code or symbol as printed, or None.

    `codes` are ISO codes seen elsewhere in the document, `tld` the sender's top-level domain and
    `language` the document's; they only settle symbols that several currencies use."""
    if not raw:
        return None
    key = _STRIP.sub("", raw).lower()
    if len(key) == 3 and key.upper() in ISO_CODES:
        return key.upper()
    if key in _SYMBOLS:
        return _SYMBOLS[key]
    if key not in _AMBIGUOUS:
        return None
    family = _SYMBOL_FAMILY[key] & codes
    if len(family) == 1:
        return next(iter(family))
    by_tld, default = _AMBIGUOUS[key]
    if tld in by_tld:
        return by_tld[tld]
    return _BY_LANGUAGE.get(key, {}).get(language or "", default)


_CODE_IN_TEXT = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")


def codes_in(text: str) -> frozenset[str]:
    """The ISO 4217 codes printed in `text` in capitals ("EUR", "CAD")."""
    return frozenset(code for code in _CODE_IN_TEXT.findall(text) if code in ISO_CODES)
