"""Money amounts in a line of text: where they are, their value and the currency printed by them.

The regular expression only finds the spans; price-parser reads each span's value, so the
separators of every locale ("1,234.56", "1.234,56", "1 234,56", "1'234.50") are its business.
Dates, percentages and bare small integers (quantities, years) are not amounts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from price_parser import Price

from scanner.extraction.currency import ISO_CODES

# Larger than any invoice: a "total" beyond it is a misread account or order number, and
# Decimal128 (the store's type) could not hold an unbounded one.
MAX_AMOUNT = Decimal(10) ** 12

_SYMBOL = (
    r"US\$|USD\$|C\$|CA\$|A\$|AU\$|NZ\$|HK\$|S\$|R\$|MX\$|\$|€|£|¥|￥|₹|₩|₽|₺|₪"
    r"|S?Fr\.|CHF|kr\.?|zł|Kč|Ft|Rs\.?"
)
_CODE = "|".join(sorted(ISO_CODES))
_CURRENCY = rf"(?:{_SYMBOL}|\b(?:{_CODE})\b)"
# Indian grouping ("1,23,456.00": lakhs and crores) first, then every other grouping, then none.
# At most five groups, and a dozen digits ungrouped: no invoice needs more (MAX_AMOUNT), and
# price-parser takes quadratic time on longer runs.
_NUMBER = (
    r"\d{1,2}(?:,\d{2}){1,5},\d{3}(?:\.\d{1,2})?"
    r"|\d{1,3}(?:[,.'’\u00a0\u202f ]\d{3}){1,5}(?:[.,]\d{1,2})?|\d{1,13}(?:[.,]\d{1,2})?"
)
_MONEY = re.compile(
    rf"(?P<neg>[-−–]\s?|\()?(?P<pre>{_CURRENCY})?\s?(?P<neg2>[-−–]\s?)?"
    rf"(?<![\d.,/:'’])(?P<num>{_NUMBER})(?![\d/]|[.,'’]\d|\s?%)"
    rf"(?:\s?(?P<post>{_CURRENCY}))?(?P<negpost>-(?!\d))?"
)


# A currency printed next to a figure, for the currency of a whole document in one pass.
_PRINTED_CURRENCY = re.compile(rf"(?:(?P<pre>{_CURRENCY})\s?-?\d|\d\s?(?P<post>{_CURRENCY}))")


@dataclass(frozen=True, slots=True)
class Money:
    """An amount found in text, with the currency symbol or code printed by it (as printed)."""

    amount: Decimal
    currency: str | None
    start: int


def amounts_in(line: str) -> list[Money]:
    """The money amounts in `line`, left to right."""
    found = []
    for match in _MONEY.finditer(line):
        money = _money(match, line)
        if money is not None:
            found.append(money)
    return found


def currencies_in(text: str) -> list[str]:
    """The currency symbols and codes printed next to a figure in `text`, in order."""
    return [match["pre"] or match["post"] for match in _PRINTED_CURRENCY.finditer(text)]


def _money(match: re.Match[str], line: str) -> Money | None:
    number = match["num"]
    currency = match["pre"] or match["post"]
    has_decimals = re.search(r"[.,]\d{1,2}$", number) is not None
    grouped = len(number) > 3 and not number.isdigit()
    if currency is None and not (has_decimals or grouped):
        return None  # a bare integer: a quantity, a year or a reference, not money
    price = Price.fromstring(number.replace("’", "'"))
    amount = price.amount
    if amount is None or not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        return None
    if match["neg"] == "(":  # accounting style: (12.00) is a negative amount
        negative = line[match.end() : match.end() + 1] == ")"
    else:
        negative = bool(match["neg"] or match["neg2"] or match["negpost"])
    return Money(-amount if negative else amount, currency, match.start("num"))
