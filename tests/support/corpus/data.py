"""The corpus's tables, kept as TOML under data/ so that the modules hold only the logic.

Each file starts with a comment describing its fields. Dates are TOML dates, amounts decimal
strings (never floats), quantities integers or decimal strings.
"""

from __future__ import annotations

import datetime
import functools
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.support.corpus.documents import InvoiceDoc, Item, Seller

_DATA = Path(__file__).parent / "data"

Entry = dict[str, Any]


@functools.cache
def table(name: str) -> dict[str, Any]:
    """The parsed contents of data/`name`.toml."""
    with (_DATA / f"{name}.toml").open("rb") as file:
        return tomllib.load(file)


def entries(name: str, kind: str = "mail") -> list[Entry]:
    """The [[`kind`]] entries of data/`name`.toml."""
    found = table(name).get(kind, [])
    if not isinstance(found, list):
        raise TypeError(f"{name}.toml: {kind} is not an array of tables")
    return found


@functools.cache
def sellers() -> dict[str, Seller]:
    """Every seller of data/sellers.toml by its key."""
    found = {}
    for key, row in table("sellers").items():
        money, date_style, tax = row["style"].split()
        street, city = row["address"]
        found[key] = Seller(
            name=row["name"],
            lang=row["lang"],
            address=(street, city),
            country=row["country"],
            vat_id=row["vat_id"],
            email=row["email"],
            money=money,
            date_style=date_style,
            tax=tax,
            footer=tuple(row.get("footer", ())),
        )
    return found


def document(entry: Entry, seller: Seller | None = None) -> InvoiceDoc:
    """The document an entry describes; `seller` for [[mail.more]] entries, which inherit it."""
    seller = seller or sellers()[entry["seller"]]
    return InvoiceDoc(
        lang=seller.lang,
        kind=entry.get("kind", "invoice"),
        seller=seller,
        number=entry["number"],
        issued=_date(entry["issued"]),
        due=_date(entry["due"]) if "due" in entry else None,
        money=entry.get("money", seller.money),
        date_style=entry.get("date_style", seller.date_style),
        lines=tuple(
            Item(text, Decimal(str(quantity)), Decimal(price))
            for text, quantity, price in entry["lines"]
        ),
        tax_rate=Decimal(str(entry.get("tax", seller.tax))),
        variant=entry.get("variant", 0),
        tax_label=entry.get("tax_label"),
        notes=tuple(entry.get("notes", ())),
    )


def documents(entry: Entry) -> tuple[tuple[InvoiceDoc, str], ...]:
    """The documents of a mail entry with their file names: its own, then any [[mail.more]]."""
    first = document(entry)
    more = [(document(extra, first.seller), extra["file"]) for extra in entry.get("more", ())]
    return ((first, entry["file"]), *more)


def _date(value: object) -> datetime.date:
    if not isinstance(value, datetime.date):
        raise TypeError(f"expected a TOML date, got {value!r}")
    return value
