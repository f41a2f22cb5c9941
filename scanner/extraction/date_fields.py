"""Issue and due dates: each date found is claimed by the nearest label before it on its line, or
by the label in the same column of the line above (a table's header row).

An issue date is labelled "Invoice date", "Rechnungsdatum", "Date de facture", "Fecha de
factura" (or only "Date", "Datum", "Fecha": a weaker claim), or follows "Invoice No. 12 of";
a due date "Due date", "Fällig am", "Zahlbar bis", "Échéance", "Fecha de vencimiento". Delivery,
order and period dates are claimed by their own labels so that they are never taken for either.
Labels are matched with single spaces: `fields.text_lines` turns wider gaps into tabs, and a
label must not reach across a table's cells. An unlabelled first date near the top of the
document is taken as the issue date; a due date is computed from "payable within N days" only
when no due date is printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from scanner.extraction.dates import DATE, parse_date

_I = re.IGNORECASE
_DUE = re.compile(
    r"\b(?:due (?:date|on|by)|payment due|date due|due|pay(?:able)? by|fällig\w*(?: am| bis)?"
    r"|zahlbar\b.{0,40}?\bbis(?: zum)?|zahlungsziel|zahlungsfrist|date d['’]échéance|échéance"
    r"|(?:à payer|payable|à régler) avant(?: le)?|fecha de vencimiento|vencimiento"
    r"|pagar antes del?|fecha límite de pago)\b",
    _I,
)
_ISSUE = re.compile(
    r"\b(?:invoice date|date of (?:issue|invoice)|issue date|issued(?: on)?"
    r"|billing date|bill date|receipt date|date paid|paid on|payment date"
    r"|rechnungs-?datum|ausstellungsdatum|belegdatum|datum der rechnung|bezahlt am"
    r"|zahlungsdatum|date de paiement|payé le|fecha de pago|pagado el"
    r"|date de (?:la )?facture|date de facturation|date d['’]émission|émise? le"
    r"|fecha de (?:la )?factura|fecha de emisión|fecha de expedición|fecha factura"
    r"|(?:invoice|rechnung|facture|factura|receipt|quittung)\b.{0,40}?\b(?:vom|du|dated|of|del))\b",
    _I,
)
_PLAIN = re.compile(r"\b(?:date|datum|fecha|le)\b", _I)
_OTHER = re.compile(
    r"\b(?:deliver\w*|liefer\w*|leistungs\w*|livraison|entrega|order date|bestell\w*"
    r"|commande|pedido|period|zeitraum|période|periodo|service|shipped|versand\w*|expédi\w*"
    r"|from|to|von|bis|au|del \d|start|end|valid|gültig|geburt\w*|birth)\b",
    _I,
)
_NET_DAYS = re.compile(
    r"\b(?:within|net|innerhalb(?:\s+von)?|sous|à|dans\s+les|a|en\s+un\s+plazo\s+de)\s+(\d{1,3})\s*"
    r"(?:days|tagen|tage|jours|días|dias)\b",
    _I,
)
_PATTERNS = (("due", _DUE), ("issue", _ISSUE), ("other", _OTHER), ("plain", _PLAIN))
# Where labels end together ("Due date" holds "date"), the first kind here names the label.
_PRECEDENCE = ("due", "issue", "other", "plain")
# Beyond these lines an unlabelled date is no longer the document's own date.
_HEAD_LINES = 25


@dataclass(frozen=True, slots=True)
class _Dated:
    kind: str  # "due", "issue", "plain", "other" or "" (no label)
    line: int
    value: date


def find_dates(lines: list[str], language: str, day_first: bool) -> tuple[date | None, date | None]:
    """The issue date and the due date of a document whose text is `lines`."""
    dated = list(_dated(lines, language, day_first))
    issue = _first(dated, "issue") or _first(dated, "plain")
    if issue is None:
        unlabelled = [d for d in dated if d.kind == "" and d.line < _HEAD_LINES]
        issue = unlabelled[0].value if unlabelled else None
    due = _first(dated, "due")
    if due is None and issue is not None:
        days = _NET_DAYS.search("\n".join(lines))
        if days and 0 < int(days[1]) <= 180:
            due = issue + timedelta(days=int(days[1]))
    return issue, due


def _first(dated: list[_Dated], kind: str) -> date | None:
    return next((d.value for d in dated if d.kind == kind), None)


def _dated(lines: list[str], language: str, day_first: bool) -> Iterator[_Dated]:
    above: list[str] = []
    for index, line in enumerate(lines):
        matches = list(DATE.finditer(line))
        column_kinds = above
        above = [] if matches else [k for k in _label_kinds(line) if k]
        start = 0
        for position, match in enumerate(matches):
            value = parse_date(match.group(0), language, day_first)
            kind = _kind(line[start : match.start()])
            start = match.end()
            if not kind and position < len(column_kinds):
                kind = column_kinds[position]
            if value is not None:
                yield _Dated(kind, index, value)


def _kind(label: str) -> str:
    """The kind of the label closest to the end of `label` (the text before a date)."""
    found = [
        (match.end(), kind) for kind, pattern in _PATTERNS for match in pattern.finditer(label)
    ]
    if not found:
        return ""
    last = max(end for end, _ in found)
    kinds = {kind for end, kind in found if end >= last - 2}
    return next(kind for kind in _PRECEDENCE if kind in kinds)


def _label_kinds(line: str) -> list[str]:
    """The kinds of the labels of a header row, left to right; a label inside a longer one
    ("date" in "Invoice date") is not a column of its own."""
    found = sorted(
        (match.start(), -match.end(), _PRECEDENCE.index(kind))
        for kind, pattern in _PATTERNS
        for match in pattern.finditer(line)
    )
    kinds: list[str] = []
    end = -1
    for start, negative_end, precedence in found:
        if start >= end:
            kinds.append(_PRECEDENCE[precedence])
            end = -negative_end
    return kinds
