"""Invoice numbers: the value after an invoice-number label, in English, German, French, Spanish.

A value must hold a digit and must not be a date or an amount: "Invoice No.: INV-2026-0042",
"Rechnung Nr. 2026/17", "Facture n° F-123", "Nº Factura: A-0042". When a label closes its line
the value is in the same column of the next line (a table's header row and its data row).
"""

from __future__ import annotations

import re

from scanner.extraction.dates import DATE

_DOC = (
    r"(?:invoice|receipt|bill|credit\s+note|rechnung|quittung|beleg|gutschrift|facture|factura"
    r"|recibo|reçu|recu|avoir)"
)
_NUM = r"(?:number|no\.?|nr\.?|nummer|num(?:ber|éro|ero)?\.?|n\.?\s?[°ºo]\.?|#|id\b|ref\.?)"
_LABEL = re.compile(
    rf"\b{_DOC}\s*[-‑]?\s*{_NUM}"
    rf"|(?<!\w)(?:n\.?\s?[°º]|no\.|numéro|número|num\.)\s*(?:de\s+(?:la\s+)?)?{_DOC}"
    r"|\b(?:rechnungs-?(?:nummer|nr\.?)|belegnummer|belegnr\.?|quittungsnummer|gutschriftsnummer"
    r"|invoice#)"
    rf"|\b{_DOC}\b(?=\s*:)",
    re.IGNORECASE,
)
# A bare document word then a value that looks like a number: "Invoice INV-42", "Rechnung 2026-17".
_BARE = re.compile(rf"\b{_DOC}\b\s*(?=[A-Z]*[-#]?\d)|#(?=\s?[\w-]*\d)", re.IGNORECASE)
_VALUE = re.compile(
    r"\s*[:#.]?\s*(?:n[°º]\s*)?[:#]?\s*(?P<value>[A-Za-z0-9][\w\-/.]{0,38}[A-Za-z0-9]|\d)"
)
_HEAD_LINES = 15
_CELL = re.compile(r"\t|\s{2,}|\s*\|\s*")
_WORD_VALUE = re.compile(r"(?:date|datum|fecha|vom|du|del|of|for|from|to|the|de|page|seite)", re.I)


def find_number(lines: list[str], subject: str = "") -> str | None:
    """The invoice number of a document whose text is `lines`, else the one in `subject`."""
    for index, line in enumerate(lines):
        for match in _LABEL.finditer(line):
            value = _value_after(line, match.end())
            rest = line[match.end() :]
            if value is None and not any(c.isdigit() for c in rest) and index + 1 < len(lines):
                value = _value_below(line, match, lines[index + 1])
            if value:
                return value
    # A title with its number ("INVOICE 2026-001") near the top, then the mail's subject.
    return _bare_number("\n".join(lines[:_HEAD_LINES])) or _bare_number(subject)


def _bare_number(text: str) -> str | None:
    for match in _BARE.finditer(text):
        value = _value_after(text, match.end())
        if value:
            return value
    return None


def _value_after(line: str, position: int) -> str | None:
    match = _VALUE.match(line, position)
    if match is None:
        return None
    return _checked(match["value"], line[match.start("value") :])


def _value_below(line: str, label: re.Match[str], below: str) -> str | None:
    cells = _CELL.split(line.strip())
    column = len(_CELL.split(line[: label.start()].strip())) if line[: label.start()].strip() else 0
    values = _CELL.split(below.strip())
    if len(values) != len(cells) or column >= len(values):
        values = below.split()
        column = 0 if len(values) == 1 or column >= len(values) else column
    return _checked(values[column], " ".join(values[column:])) if values else None


def _checked(value: str, rest: str) -> str | None:
    value = value.rstrip(".-/_")
    if not any(char.isdigit() for char in value) or _WORD_VALUE.fullmatch(value):
        return None
    if DATE.match(rest) or re.fullmatch(r"\d{1,3}(?:[.,]\d{3})*[.,]\d{2}", value):
        return None  # a date or an amount that follows a label with no number of its own
    return value
