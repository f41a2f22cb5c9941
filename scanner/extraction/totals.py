"""The grand total of an invoice's text: the amount payable, tax included.

Lines are read for a total label and the first amount after it (or on the next line, where PDF
text puts a table's value under its label). Labels rank:
3. the amount payable ("Amount due", "Zahlbetrag", "Net à payer", "Total a pagar"), the same
   rule as for e-invoices: it is what the document asks to be paid, unless it is zero
   (a paid receipt), when the lower ranks say what the invoice cost;
2. a total that includes tax ("Grand total", "Gesamtbetrag", "Total TTC", "Importe total");
1. a bare "Total", "Summe", "Montant".
Subtotals, net amounts, tax lines, discounts and shipping never count. Within the best rank, a
candidate that equals a net amount plus a tax amount of the same document wins; else the last
one, since totals close a document.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from scanner.extraction.amounts import Money, amounts_in, currencies_in

_I = re.IGNORECASE
_DUE = re.compile(
    r"\b(?:(?:total|amount|balance)\s+(?:now\s+)?(?:due|payable|to\s+pay)|amount\s+to\s+be\s+paid"
    r"|payable\s+amount|zahlbetrag|zu\s+zahlen(?:der\s+betrag)?|fälliger\s+betrag"
    r"|offener\s+betrag|net\s+à\s+payer|montant\s+(?:dû|du|à\s+payer|a\s+payer)|reste\s+à\s+payer"
    r"|total\s+à\s+payer|total\s+a\s+pagar|importe\s+a\s+pagar|total\s+a\s+abonar)",
    _I,
)
_GRAND = re.compile(
    r"\b(?:grand\s+total|total\s+amount|invoice\s+total|total\s+(?:\(?\s*)?inc(?:l|luding)?\b"
    r"|total\s+ttc|montant\s+(?:total\s+)?ttc|total\s+facture|montant\s+total|gesamtbetrag"
    r"|rechnungsbetrag|rechnungssumme|bruttosumme|bruttobetrag|endbetrag|gesamtsumme"
    r"|summe\s+brutto|importe\s+total|total\s+factura|total\s+\(?\s*(?:con\s+)?iva\s+incl"
    r"|(?:amount|total)\s+(?:paid|charged)|payment\s+amount|betrag\s+bezahlt|bezahlter\s+betrag"
    r"|montant\s+payé|total\s+pagado|importe\s+pagado|order\s+total)",
    _I,
)
_PLAIN = re.compile(r"\b(?:total|summe|gesamt|montant|importe|betrag|amount)\b", _I)
# Tax included: these words make a total of a line that names a tax.
_INCLUDED = re.compile(
    r"\b(?:incl(?:uding|\.)?|inc\.|inkl\.?|einschl\.?|ttc|iva\s+incluido|con\s+iva"
    r"|toutes\s+taxes|tva\s+comprise|brutto)",
    _I,
)
_NET = re.compile(
    r"\b(?:sub-?\s?total|zwischensumme|sous-?\s?total|total\s+(?:ht|h\.t\.|hors\s+tax\w*|excl\w*"
    r"|net\w*|before\s+tax\w*|sin\s+iva|neto)|net\s+(?:total|amount)|netto\w*|nettobetrag"
    r"|ohne\s+(?:ust|mwst)|montant\s+ht|base\s+imponible|positionssumme|warenwert|net)\b|\bHT\b",
    _I,
)
_TAX = re.compile(
    r"\b(?:vat|tax|mwst|ust|umsatzsteuer|mehrwertsteuer|steuer\w*|tva|iva|gst|hst|pst|igic)\b", _I
)
_OTHER = re.compile(
    r"\b(?:discount|rabatt|remise|descuento|shipping|versand\w*|livraison|envío|envio|porto"
    r"|der\s+(?:zuschläge|abschläge)|anzahlung\w*|prepaid|acompte|anticipo|tip|trinkgeld"
    r"|saved|savings|ersparnis)\b",
    _I,
)


_ANY_LABEL = re.compile(
    "|".join(f"(?:{p.pattern})" for p in (_DUE, _GRAND, _PLAIN, _NET, _TAX)), re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class _Candidate:
    rank: int
    index: int
    money: Money


def find_total(lines: list[str]) -> Money | None:
    """The grand total payable among `lines` (see the module's rules), or None."""
    candidates, nets, taxes = _scan(lines)
    for rank in (3, 2, 1):
        ranked = [c for c in candidates if c.rank == rank]
        if rank == 3:
            ranked = [c for c in ranked if c.money.amount != 0]
        if ranked:
            consistent = [c for c in ranked if _adds_up(c.money.amount, nets, taxes)]
            return (consistent or ranked)[-1].money
    return None


def document_currency(lines: list[str]) -> str | None:
    """The currency symbol or code printed most often next to a figure in `lines`."""
    printed = Counter(currencies_in("\n".join(lines)))
    return printed.most_common(1)[0][0] if printed else None


def _scan(lines: list[str]) -> tuple[list[_Candidate], list[Decimal], list[Decimal]]:
    candidates: list[_Candidate] = []
    nets: list[Decimal] = []
    taxes: list[Decimal] = []
    for index, line in enumerate(lines):
        if not _ANY_LABEL.search(line):
            continue  # most lines are items and addresses: no amount of theirs is a total
        money, label = _labelled_amount(lines, index)
        if money is None:
            continue
        rank = _rank(label)
        if rank == 3:  # "Net à payer" is due, not net
            candidates.append(_Candidate(rank, index, money))
        elif _NET.search(label):
            nets.append(money.amount)
        elif _TAX.search(label) and not _INCLUDED.search(label):
            taxes.append(money.amount)
        elif rank and not _OTHER.search(label):
            candidates.append(_Candidate(rank, index, money))
    return candidates, nets, taxes


def _labelled_amount(lines: list[str], index: int) -> tuple[Money | None, str]:
    """The first amount of line `index` and the text before it; a label alone on its line takes
    the first amount of the next line, when that line has no label of its own."""
    line = lines[index]
    found = amounts_in(line)
    if found:
        return found[0], line[: found[0].start]
    if index + 1 < len(lines) and _rank(line) and len(line) < 60:
        following = lines[index + 1]
        below = amounts_in(following)
        if below and not _rank(following[: below[0].start]) and not _has_words(following):
            return below[0], line
    return None, line


def _rank(label: str) -> int:
    if _DUE.search(label):
        return 3
    if _GRAND.search(label):
        return 2
    return 1 if _PLAIN.search(label) else 0


def _has_words(line: str) -> bool:
    return re.search(r"[^\W\d_]{4,}", line) is not None


def _adds_up(total: Decimal, nets: list[Decimal], taxes: list[Decimal]) -> bool:
    tax_sums = set(taxes) | ({sum(taxes, Decimal(0))} if len(taxes) > 1 else set())
    return any(abs(net + tax - total) <= Decimal("0.01") for net in nets for tax in tax_sums)
