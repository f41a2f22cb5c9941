"""Invoice PDFs in the layouts real vendors use, for every locale of locales.toml.

Four layouts, each a common way to lay out an invoice:
* letter: a letterhead, the seller's return-address line above the buyer's window, an info block
  of labels and values on the right, the items, totals, and a footer of registers and bank;
* modern: the seller's name large on the left, the title on the right over a row of labels
  (number, date, due date) with their values in the row below, bill-to and ship-to blocks;
* buyer_first: the buyer's block at the very top, the title and number in one line, the seller
  named only in the footer with its registers;
* receipt: a shop's till receipt, paid at once (no due date);
* parties: the seller's and the buyer's blocks side by side under their labels, each with its
  tax id, and a row of dates (issue, delivery, due) as "label: value" pairs;
* header_grid: a grid of labels (document type, number, date, customer) with their values in
  the row below, and labelled party blocks of "Name: value" rows, as e-invoice viewers print.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

from dateparser.languages.loader import default_loader
from fpdf import FPDF

_FONTS = Path(__file__).parent / "fonts"
_CENT = Decimal("0.01")
_DATEPARSER_LANGUAGE = {"no": "nb"}


@dataclass(frozen=True)
class Printed:
    """One invoice to print: its locale's wording (a locales.toml entry) and its values."""

    locale: dict[str, Any]
    variant: int  # which wording of each label list to print
    number: str
    issued: date
    due: date | None
    items: tuple[tuple[str, Decimal, Decimal], ...]  # description, quantity, unit price
    prepaid: Decimal = Decimal(0)

    def pick(self, key: str) -> str:
        options = self.locale[key]
        return str(options[self.variant % len(options)])

    @property
    def net(self) -> Decimal:
        return sum((q * p for _, q, p in self.items), Decimal(0)).quantize(_CENT)

    @property
    def rate(self) -> Decimal:
        return Decimal(str(self.locale["rates"][0]))

    @property
    def tax(self) -> Decimal:
        return (self.net * self.rate / 100).quantize(_CENT, ROUND_HALF_UP)

    @property
    def total(self) -> Decimal:
        return self.net + self.tax

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.prepaid


def money(value: Decimal, locale: dict[str, Any], with_symbol: bool = True) -> str:
    """`value` as the locale prints amounts: "1.234,56 €", "£1,234.56", "Rs. 1,23,456.00"."""
    sign = "-" if value < 0 else ""
    units, cents = f"{abs(value):.2f}".split(".")
    if locale["thousands"] == "indian" and len(units) > 3:
        head, tail = units[:-3], units[-3:]
        groups = [head[max(0, i - 2) : i] for i in range(len(head), 0, -2)][::-1]
        units = ",".join([*groups, tail])
    else:
        units = f"{int(units):,}".replace(",", locale["thousands"])
    figure = f"{sign}{units}{locale['decimal']}{cents}"
    if not with_symbol:
        return figure
    symbol = locale["symbol"]
    if locale["symbol_after"]:
        return f"{figure} {symbol}"
    return f"{symbol}{figure}" if symbol in ("£", "$") else f"{symbol} {figure}"


def printed_date(value: date, printed: Printed) -> str:
    """`value` in the locale's format; month names in its language."""
    pattern = printed.pick("date_format")
    if "%B" in pattern or "%b" in pattern:
        full, short = _month_names(printed.locale["language"], value.month)
        pattern = pattern.replace("%B", full).replace("%b", short)
    return value.strftime(pattern)


@cache
def _month_names(language: str, month: int) -> tuple[str, str]:
    keys = "january february march april may june july august september october november december"
    names = default_loader.get_locale(_DATEPARSER_LANGUAGE.get(language, language)).info[
        keys.split()[month - 1]
    ]
    full = max(names, key=len).lower()
    short = min(names, key=len).lower()
    if language in ("en", "de"):
        full, short = full.capitalize(), short.capitalize()
    return full, short


class _Page(FPDF):
    def __init__(self) -> None:
        super().__init__(unit="mm", format="A4")
        self.add_font("DejaVu", "", str(_FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(False)
        self.add_page()

    def text_at(self, x: float, y: float, text: str, size: float = 9, bold: bool = False) -> None:
        self.set_font("DejaVu", "B" if bold else "", size)
        self.text(x, y, text)

    def right_at(self, x: float, y: float, text: str, size: float = 9, bold: bool = False) -> None:
        """`text` ending at `x` (amounts are printed flush right)."""
        self.set_font("DejaVu", "B" if bold else "", size)
        self.text(x - self.get_string_width(text), y, text)


def _items(page: _Page, printed: Printed, y: float) -> float:
    heads = printed.locale["items"]
    page.text_at(20, y, heads[0], bold=True)
    page.right_at(125, y, heads[1], bold=True)
    page.right_at(155, y, heads[2], bold=True)
    page.right_at(190, y, heads[3], bold=True)
    for description, quantity, price in printed.items:
        y += 7
        page.text_at(20, y, description)
        page.right_at(125, y, f"{quantity}")
        page.right_at(155, y, money(price, printed.locale, with_symbol=False))
        page.right_at(190, y, money((quantity * price).quantize(_CENT), printed.locale, False))
    return y


def _totals(page: _Page, printed: Printed, y: float, x: float = 120) -> float:
    locale = printed.locale
    rate = f"{printed.rate}".rstrip("0").rstrip(".") if "." in f"{printed.rate}" else printed.rate
    rows = [
        (printed.pick("net"), printed.net, False),
        (printed.pick("tax").format(rate=rate), printed.tax, False),
        (printed.pick("total"), printed.total, True),
    ]
    if printed.prepaid:
        rows.append((printed.pick("amount_due"), printed.amount_due, True))
    for label, amount, bold in rows:
        y += 7
        page.text_at(x, y, label, bold=bold)
        page.right_at(190, y, money(amount, locale), bold=bold)
    return y


def _amount_due(page: _Page, printed: Printed, y: float) -> float:
    """The amount due in bold under the totals (a prepaid invoice's totals print it already)."""
    if printed.prepaid:
        return y
    page.text_at(120, y + 9, printed.pick("amount_due"), size=10, bold=True)
    page.right_at(190, y + 9, money(printed.amount_due, printed.locale), size=10, bold=True)
    return y + 9


def _footer(page: _Page, printed: Printed, y: float = 272) -> None:
    locale = printed.locale
    seller = locale["seller"]
    page.text_at(20, y, seller[0], size=7, bold=True)
    page.text_at(20, y + 4, f"{seller[1]} · {seller[2]}", size=7)
    page.text_at(20, y + 8, f"{locale['seller_web']} · {locale['seller_mail']}", size=7)
    page.text_at(100, y, locale["seller_ids"][0], size=7)
    page.text_at(100, y + 4, locale["seller_ids"][1], size=7)
    page.text_at(100, y + 8, locale["seller_bank"], size=7)


def letter(printed: Printed) -> bytes:
    locale, page = printed.locale, _Page()
    seller, buyer = locale["seller"], locale["buyer"]
    page.text_at(20, 22, seller[0], size=15, bold=True)
    for row, line in enumerate((seller[1], seller[2], locale["seller_web"], locale["seller_mail"])):
        page.text_at(140, 15 + 4.5 * row, line, size=8)
    page.text_at(20, 48, f"{seller[0]} · {seller[1]} · {seller[2]}", size=6.5)
    for row, line in enumerate(buyer):
        page.text_at(20, 55 + 5 * row, line, size=10)
    info = [
        (printed.pick("number"), printed.number),
        (printed.pick("date"), printed_date(printed.issued, printed)),
        (printed.pick("customer"), "K-20417"),
    ]
    if printed.due:
        info.append((printed.pick("due"), printed_date(printed.due, printed)))
    for row, (label, value) in enumerate(info):
        page.text_at(120, 55 + 5 * row, label, size=9)
        page.right_at(190, 55 + 5 * row, value, size=9)
    page.text_at(20, 95, printed.pick("title"), size=16, bold=True)
    y = _items(page, printed, 108)
    y = _totals(page, printed, y + 6)
    page.text_at(20, y + 14, printed.locale["terms"].format(days=30), size=8)
    _footer(page, printed)
    return bytes(page.output())


def modern(printed: Printed) -> bytes:
    locale, page = printed.locale, _Page()
    seller, buyer = locale["seller"], locale["buyer"]
    page.text_at(20, 22, seller[0], size=17, bold=True)
    page.text_at(20, 29, f"{seller[1]}, {seller[2]}", size=8)
    page.text_at(20, 33, f"{locale['seller_mail']} · {locale['seller_web']}", size=8)
    page.right_at(190, 22, printed.pick("title"), size=20, bold=True)
    heads = [printed.pick("number"), printed.pick("date")]
    values = [printed.number, printed_date(printed.issued, printed)]
    if printed.due:
        heads.append(printed.pick("due"))
        values.append(printed_date(printed.due, printed))
    for column, (head, value) in enumerate(zip(heads, values, strict=True)):
        page.text_at(100 + 32 * column, 42, head, size=8, bold=True)
        page.text_at(100 + 32 * column, 47, value, size=9)
    page.text_at(20, 62, printed.pick("bill_to"), size=9, bold=True)
    page.text_at(110, 62, printed.pick("ship_to"), size=9, bold=True)
    for row, line in enumerate(buyer):
        page.text_at(20, 67 + 5 * row, line, size=9)
        if row != 1:
            page.text_at(110, 67 + 5 * row, line, size=9)
    y = _items(page, printed, 100)
    y = _amount_due(page, printed, _totals(page, printed, y + 6))
    page.text_at(20, y + 15, printed.locale["terms"].format(days=14), size=8)
    page.text_at(20, 280, f"{seller[0]} · {locale['seller_ids'][0]}", size=7)
    page.text_at(20, 284, locale["seller_bank"], size=7)
    return bytes(page.output())


def buyer_first(printed: Printed) -> bytes:
    locale, page = printed.locale, _Page()
    buyer = locale["buyer"]
    page.text_at(20, 20, printed.pick("bill_to"), size=9, bold=True)
    for row, line in enumerate(buyer):
        page.text_at(20, 26 + 5 * row, line, size=10)
    page.text_at(130, 26, f"{printed.pick('customer')}: K-20417", size=9)
    title = f"{printed.pick('title')} {printed.pick('number')} {printed.number}"
    page.text_at(20, 62, title, size=14, bold=True)
    page.text_at(20, 70, f"{printed.pick('date')}: {printed_date(printed.issued, printed)}")
    if printed.due:
        page.text_at(100, 70, f"{printed.pick('due')}: {printed_date(printed.due, printed)}")
    y = _items(page, printed, 85)
    y = _totals(page, printed, y + 6)
    page.text_at(20, y + 14, printed.locale["terms"].format(days=30), size=8)
    _footer(page, printed, 268)
    return bytes(page.output())


def receipt(printed: Printed) -> bytes:
    locale, page = printed.locale, _Page()
    seller = locale["seller"]
    page.text_at(70, 20, seller[0], size=12, bold=True)
    page.text_at(70, 26, f"{seller[1]}, {seller[2]}", size=8)
    page.text_at(70, 30, locale["seller_ids"][0], size=8)
    page.text_at(70, 40, printed.pick("title"), size=11, bold=True)
    page.text_at(70, 46, f"{printed.pick('number')} {printed.number}", size=9)
    page.text_at(70, 51, printed_date(printed.issued, printed), size=9)
    y = 60.0
    for description, quantity, price in printed.items:
        page.text_at(70, y, f"{quantity} x {description}", size=9)
        page.right_at(150, y, money((quantity * price).quantize(_CENT), locale, False), size=9)
        y += 5
    page.text_at(70, y + 4, printed.pick("total"), size=10, bold=True)
    page.right_at(150, y + 4, money(printed.total, locale), size=10, bold=True)
    page.text_at(70, y + 10, printed.pick("tax").format(rate=printed.rate), size=8)
    page.right_at(150, y + 10, money(printed.tax, locale), size=8)
    return bytes(page.output())


def parties(printed: Printed) -> bytes:
    locale, page = printed.locale, _Page()
    seller, buyer = locale["seller"], locale["buyer"]
    page.text_at(
        20, 20, f"{printed.pick('title')} {printed.pick('number')} {printed.number}", 14, True
    )
    delivered = printed.issued - timedelta(days=2)
    dates = [
        (printed.pick("date"), printed.issued),
        (locale["delivery"], delivered),
        *([(printed.pick("due"), printed.due)] if printed.due else []),
    ]
    for column, (label, value) in enumerate(dates):
        page.text_at(20 + 60 * column, 28, f"{label}: {printed_date(value, printed)}", size=8)
    page.text_at(20, 42, printed.pick("seller_label") + ":", size=9, bold=True)
    page.text_at(110, 42, printed.pick("buyer_label") + ":", size=9, bold=True)
    buyer_lines = [buyer[0], buyer[2], buyer[3], "VAT FR 98 123456789"]
    seller_lines = [seller[0], seller[1], seller[2], locale["seller_ids"][0]]
    for row, (left, right) in enumerate(zip(seller_lines, buyer_lines, strict=True)):
        page.text_at(20, 48 + 5 * row, left, size=9)
        page.text_at(110, 48 + 5 * row, right, size=9)
    y = _items(page, printed, 80)
    y = _amount_due(page, printed, _totals(page, printed, y + 6))
    page.text_at(20, y + 13, locale["seller_bank"], size=8)
    return bytes(page.output())


def header_grid(printed: Printed) -> bytes:
    locale, page = printed.locale, _Page()
    seller, buyer = locale["seller"], locale["buyer"]
    page.text_at(20, 18, printed.pick("title"), size=15, bold=True)
    heads = ["TD01", printed.pick("number"), printed.pick("date"), printed.pick("customer")]
    values = ["380", printed.number, printed_date(printed.issued, printed), "K-20417"]
    for column, (head, value) in enumerate(zip(heads, values, strict=True)):
        page.text_at(20 + 45 * column, 30, head, size=8, bold=True)
        page.text_at(20 + 45 * column, 35, value, size=9)
    name = locale["name_label"]
    for x, label, party in ((20, "seller_label", seller), (110, "buyer_label", buyer)):
        page.text_at(x, 50, printed.pick(label), size=9, bold=True)
        page.text_at(x, 56, f"{name}:", size=8)
        page.text_at(x + 28, 56, party[0], size=9)
        page.text_at(x + 28, 61, party[-2], size=9)
        page.text_at(x + 28, 66, party[-1], size=9)
    y = _items(page, printed, 85)
    y = _totals(page, printed, y + 6)
    if printed.due:
        page.text_at(20, y + 14, f"{printed.pick('due')}: {printed_date(printed.due, printed)}")
    return bytes(page.output())


LAYOUTS = {
    "letter": letter,
    "modern": modern,
    "buyer_first": buyer_first,
    "receipt": receipt,
    "parties": parties,
    "header_grid": header_grid,
}
