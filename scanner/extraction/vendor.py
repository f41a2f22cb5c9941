"""Who issued an invoice: the seller the document names, never its buyer.

Evidence is weighed as a person weighs it:
- a seller label ("Seller", "Verkäufer", "Lieferant", "Fournisseur", "Leverancier", "Sprzedawca")
  and the name in its block, or the value of the block's "Name:" label;
- a company name (a legal form ends it) in the letterhead, in the return-address line printed
  above the recipient's address window ("Kraxi GmbH · Flugzeugallee 17 · 12345 Papierfeld"),
  or in the footer beside the VAT id, the register and the bank;
- the letterhead's first name-like line when no legal form is printed;
- support for a name: the web and mail domains printed on the page ("www.hetzner.de" supports
  "Hetzner Online GmbH"), the sender's mail domain, a VAT id or IBAN in the same block, and each
  further place that prints the same name.
Names inside a recipient's block (after "Bill to", "Rechnungsempfänger", "Käufer", "Client", ...,
and under the return-address line) never count. The sender's display name and mail domain are
the fallback, worth less than any name the page prints.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scanner.extraction.evidence import Candidate, decide
from scanner.extraction.labels import mail_formula_patterns
from scanner.extraction.layout import Cell, Layout
from scanner.extraction.names import (
    company_key,
    introduced,
    joined_with_line_above,
    name_in,
    normal_name,
    parts_of,
)
from scanner.extraction.parties import (
    company_pattern,
    domain_company,
    is_free_mail,
    organisation,
    sender_company,
    sender_organisation,
)
from scanner.extraction.places import cell_labels, labels_of, opens_with_label
from scanner.extraction.record import Found
from scanner.extraction.vendor_blocks import (
    bank_cells,
    block_below,
    is_address_line,
    opens_block,
    recipient_cells,
    return_lines,
)

SELLER_LABEL, RETURN_LINE, LETTERHEAD, FOOTER, NAME_ONLY, BODY = 0.9, 0.75, 0.7, 0.65, 0.45, 0.3
SIGNATURE, SENDER_NAME, SENDER_DOMAIN, SENDER_OF_BODY = 0.55, 0.4, 0.25, 0.8
# Shares of what a score lacks below 1 that each kind of support adds.
DOMAIN_SUPPORT, SENDER_SUPPORT, REGISTER_SUPPORT = 0.5, 0.3, 0.2
# Where the letterhead and the footer are, as shares of the page's height.
_HEAD, _FOOT = 0.25, 0.8
_TEXT_EDGE_ROWS = 15
# Cells starting within this many points of each other stand in one column.
_COLUMN_TOLERANCE = 15.0
_DOMAIN = re.compile(
    r"(?:@|\bwww\.|https?://(?:www\.)?)([a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,})", re.I
)


def find_vendor(layout: Layout, sender: str = "", *, body: bool = False) -> Found[str] | None:
    """The seller of the document laid out in `layout` (see the module's rules), else the
    company the sender's name or domain names. A mail's own body (`body`) is the sender's text:
    there the sender's company name counts first."""
    excluded = recipient_cells(layout)
    domains = _printed_domains(layout, excluded)
    own = sender_organisation(sender)
    candidates = [
        *_seller_labelled(layout, excluded),
        *_companies(layout, excluded | bank_cells(layout)),
        *_address_lines(layout, excluded | bank_cells(layout)),
        *_signature(layout),
    ]
    supported = [_supported(layout, c, domains, own) for c in candidates]
    # A letterhead's name without a legal form counts where something supports it (a printed
    # domain: "CRONUS DE" and info@cronus.com), or where the page names no other seller.
    for name in _letterhead_names(layout, excluded):
        backed = _supported(layout, name, domains, own)
        if backed.score > name.score or not supported:
            supported.append(backed)
    fallback = sender_company(sender)
    if fallback:
        score = SENDER_OF_BODY if body else SENDER_NAME
        supported.append(Candidate(fallback, score, len(layout.rows)))
    elif not supported and domain_company(sender):
        supported.append(Candidate(domain_company(sender) or "", SENDER_DOMAIN, len(layout.rows)))
    return decide(supported, key=company_key)


def _seller_labelled(layout: Layout, excluded: set[tuple[int, int]]) -> Iterator[Candidate[str]]:
    """The name under or after each seller label."""
    for at in labels_of(layout, frozenset({"seller"})):
        cell = layout.rows[at.row].cells[at.cell]
        if not opens_block(cell.text, at.label.start, at.label.end):
            continue  # "Lieferant GmbH" is a name, "Steuerbevollmächtigter des Verkäufers" no head
        rest = cell.text[at.label.end :].strip(" :")
        if rest:
            name = name_in(rest)
            if name:
                yield Candidate(name, SELLER_LABEL, at.row)
            continue
        for row_index, below in block_below(layout, at.row, cell):
            place = (row_index, layout.rows[row_index].cells.index(below))
            if place in excluded:
                break  # the recipient's block begins
            name = _block_name(layout, row_index, below)
            if name:
                yield Candidate(name, SELLER_LABEL, row_index)
                break


def _block_name(layout: Layout, row: int, cell: Cell) -> str | None:
    """A block row's name: the value of a "Name:" label, or the row itself when name-like."""
    cells = layout.rows[row].cells
    position = cells.index(cell)
    right = cells[position + 1] if position + 1 < len(cells) else None
    labels = cell_labels(layout)[row][position]
    if labels and labels[0].concept == "name":
        value = cell.text[labels[0].end :].strip(" :")
        if value:
            return name_in(value, whole=True)
        name = name_in(right.text, whole=True) if right else None
        return joined_with_line_above(layout, row, right, name) if right and name else None
    if right and right.text.startswith(":"):
        return None  # "Nummer  : 12345676": a label whose colon stands apart
    if opens_with_label(layout, row, cell):
        return None
    return name_in(cell.text)


def _companies(layout: Layout, excluded: set[tuple[int, int]]) -> Iterator[Candidate[str]]:
    """Company names at the start of a cell or of a part of it, scored by where they stand."""
    returns = return_lines(layout)
    for row_index, row in enumerate(layout.rows):
        top = layout.relative_top(row_index)
        for cell_index, cell in enumerate(row.cells):
            if (row_index, cell_index) in excluded:
                continue
            for part in parts_of(cell.text):
                part = introduced(part)
                match = company_pattern().match(part)
                if match is None or len(part.split()) > 10:
                    continue
                name = joined_with_line_above(layout, row_index, cell, match["name"].strip())
                if (row_index, cell_index) in returns:
                    score = RETURN_LINE
                elif layout.in_head(row_index, _HEAD, _TEXT_EDGE_ROWS):
                    score = LETTERHEAD
                elif _in_foot(layout, row_index, top):
                    score = FOOTER
                else:
                    score = BODY
                yield Candidate(name, score, row_index)
                break


def _address_lines(layout: Layout, excluded: set[tuple[int, int]]) -> Iterator[Candidate[str]]:
    """The first part of each return-address line (above a letter's window) and of the footer's
    address lines ("Acme · Main St 1 · 12345 Town")."""
    returns = return_lines(layout)
    for row_index, row in enumerate(layout.rows):
        for cell_index, cell in enumerate(row.cells):
            if (row_index, cell_index) in excluded or not is_address_line(cell.text):
                continue
            name = name_in(parts_of(cell.text)[0])
            if name and (row_index, cell_index) in returns:
                yield Candidate(name, RETURN_LINE, row_index)
            elif name and _in_foot(layout, row_index, layout.relative_top(row_index)):
                yield Candidate(name, FOOTER, row_index)


def _letterhead_names(layout: Layout, excluded: set[tuple[int, int]]) -> Iterator[Candidate[str]]:
    """The top name-like cell of each column of the head that no company name tops: a
    letterhead without a legal form ("CRONUS DE")."""
    columns: list[float] = []
    for row_index, row in enumerate(layout.rows):
        if not layout.in_head(row_index, _HEAD, _TEXT_EDGE_ROWS):
            break
        for cell_index, cell in enumerate(row.cells):
            if any(abs(cell.x0 - x) < _COLUMN_TOLERANCE for x in columns):
                continue
            if (row_index, cell_index) in excluded or opens_with_label(layout, row_index, cell):
                continue
            name = name_in(cell.text)
            if name is None:
                continue
            columns.append(cell.x0)
            if not company_pattern().match(name) and "," not in name:
                yield Candidate(name, NAME_ONLY, row_index)


def _signature(layout: Layout) -> Iterator[Candidate[str]]:
    """The company under a mail's closing formula ("Kind regards,\\nJane Doe\\nAcme Studio"):
    the first line there that reads like a name and not like a person's."""
    if layout.positioned:
        return
    closing, _ = mail_formula_patterns()
    lines = layout.lines
    closings = [i for i, line in enumerate(lines) if closing.match(line)]
    if closings:
        for index in range(closings[-1] + 1, min(closings[-1] + 4, len(lines))):
            name = name_in(lines[index])
            if name:
                yield Candidate(name, SIGNATURE, index)
                return


def _supported(
    layout: Layout, candidate: Candidate[str], domains: set[str], own: str | None
) -> Candidate[str]:
    """The candidate with what supports it added to its score."""
    compact = normal_name(candidate.value)
    score = candidate.score
    if any(_names_domain(compact, domain) for domain in domains):
        score += (1 - score) * DOMAIN_SUPPORT
    if own and _names_domain(compact, own):
        score += (1 - score) * SENDER_SUPPORT
    if _near_register(layout, candidate.order):
        score += (1 - score) * REGISTER_SUPPORT
    return Candidate(candidate.value, min(score, 1.0), candidate.order)


def _names_domain(compact: str, domain: str) -> bool:
    """Whether a name (without spaces and case) is the one a domain's name stands for:
    "hetzneronlinegmbh" for hetzner, "aubonmoulinsarl" for aubonmoulin."""
    domain = normal_name(domain)
    return domain in compact or (len(compact) >= 4 and domain.startswith(compact[:6]))


def _near_register(layout: Layout, row: int) -> bool:
    """Whether a VAT id, a register or a bank account is printed in the rows around `row`."""
    concepts = frozenset({"tax_id", "bank"})
    for index in range(max(0, row - 2), min(len(layout.rows), row + 5)):
        for labels in cell_labels(layout)[index]:
            if any(label.concept in concepts for label in labels):
                return True
    return False


def _printed_domains(layout: Layout, excluded: set[tuple[int, int]]) -> set[str]:
    """The registrable names of the web and mail domains printed outside recipient blocks."""
    found = set()
    for row_index, row in enumerate(layout.rows):
        for cell_index, cell in enumerate(row.cells):
            if (row_index, cell_index) in excluded:
                continue
            for match in _DOMAIN.finditer(cell.text):
                name = organisation(match[1])
                if len(name) >= 3 and not is_free_mail(name):
                    found.add(name)
    return found


def _in_foot(layout: Layout, row_index: int, top: float) -> bool:
    if not layout.positioned:
        return row_index >= max(_TEXT_EDGE_ROWS, len(layout.rows) - _TEXT_EDGE_ROWS)
    return top > _FOOT
