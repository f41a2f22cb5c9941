"""What reads as a name: a company's (a legal form ends it), a brand's, or a letterhead's few
capitalised words; never a label, an address, a person, a code or a sentence."""

from __future__ import annotations

import re
from functools import cache

from scanner.extraction.currency import ISO_CODES
from scanner.extraction.labels import find_labels, label_pattern, mail_formula_patterns
from scanner.extraction.layout import Cell, Layout
from scanner.extraction.parties import (
    company_pattern,
    countries,
    is_person,
    legal_form_pattern,
    name_joiners,
)
from scanner.extraction.vocabulary import kind_of_name

_PART_SEPARATORS = re.compile(r"\s*[·•●|–]\s*|\s{3,}|\s+-\s+|\t")
_WEB_NAME = re.compile(r"[a-z0-9][a-z0-9-]{2,}\.(?:com|net|org|io|co|de|fr|nl|eu|it|es)", re.I)
_ADDRESS = re.compile(r"^\d{4,5}\s|\b\d{1,4}[a-z]?$|^\d+\s*[-/]?\s*\d*$", re.IGNORECASE)


def normal_name(name: str) -> str:
    """A name compared without case, punctuation and spacing."""
    return re.sub(r"[\W_]+", "", name.casefold())


@cache
def _trailing_legal_form() -> re.Pattern[str]:
    return re.compile(rf"[\s,\-]+(?:{legal_form_pattern()})\.?$")


def company_key(name: str) -> str:
    """A company's name compared without case, punctuation and a trailing legal form: the page's
    "Acme Widgets Ltd" and the sender's "ACME Widgets" name one company, not two rivals."""
    return normal_name(_trailing_legal_form().sub("", name.strip())) or normal_name(name)


def parts_of(text: str) -> list[str]:
    """The parts of a line of several things ("Kraxi GmbH · Flugzeugallee 17 · 12345 Ort")."""
    return [part.strip() for part in _PART_SEPARATORS.split(text) if part.strip()] or [text]


def joined_with_line_above(layout: Layout, row_index: int, cell: Cell, name: str) -> str:
    """A company name that begins on the line above ("MVM Musterhafter" / "Versicherungsverein
    Musterstadt a.G."): the two lines joined when the first is name-like and in the same column."""
    if row_index == 0 or not cell.text.startswith(name):
        return name
    above_row, row = layout.rows[row_index - 1], layout.rows[row_index]
    if above_row.page != row.page or row.top - above_row.bottom > 0.8 * row.height:
        return name
    for above in above_row.cells:
        if abs(above.x0 - cell.x0) < 3 and name_in(above.text) == above.text:
            if not company_pattern().match(above.text) and len(above.text.split()) <= 4:
                return f"{above.text} {name}"
    return name


def name_in(text: str, whole: bool = False) -> str | None:
    """`text` as a name: a company's, or a few words with no figures, labels or addresses;
    `whole` keeps what follows a legal form ("Musterbetrieb AG Demodaten", a label's value)."""
    if text.rstrip().endswith(":"):
        return None  # a label
    text = " ".join(introduced(text).split()).strip(" ,;")
    if _WEB_NAME.fullmatch(text):
        return text  # a brand that is its domain ("weclapp.com")
    match = company_pattern().match(text)
    if match and len(match["name"].split()) <= 10:
        if whole and len(text.split()) <= 10 or _name_continues(text[match.end() :]):
            return text
        return match["name"].strip()
    words = text.split()
    if not 1 <= len(words) <= 6 or len(text) > 60 or any(c in text for c in ":@/!?"):
        return None
    if sum(c.isdigit() for c in text) > 2 or _ADDRESS.search(text) or text in countries():
        return None
    if len(words) == 1 and any(c.isdigit() for c in text):
        return None  # a code ("TD01"), not a name
    if text.upper() in ISO_CODES or text.upper() == text and len(text) <= 3:
        return None  # a currency code or an abbreviation
    if is_person(text) or not all(w[0].isupper() or w in name_joiners() for w in words):
        return None
    if text.endswith(".") and not _trailing_legal_form().search(text):
        return None  # a sentence, not a name ending in "Inc."
    _, greeting = mail_formula_patterns()
    if greeting.match(text) or _has_label(text):
        return None
    return text


def _name_continues(rest: str) -> bool:
    """Whether what follows a legal form still belongs to the name: one or two capitalised
    words without figures or labels ("Rohstoff AG Salzgitter", "Musterbetrieb AG Demodaten")."""
    words = rest.split()
    return (
        1 <= len(words) <= 2
        and all(word[0].isupper() and word.isalpha() for word in words)
        and not _has_label(rest)
        and rest.strip() not in countries()
    )


def _has_label(text: str) -> bool:
    if label_pattern("number").fullmatch(text) or kind_of_name(text) is not None:
        return True
    return bool(find_labels(text))


@cache
def _introduction() -> re.Pattern[str]:
    return re.compile(rf"^(?:{label_pattern('introduction').pattern})\s+", re.IGNORECASE)


def introduced(text: str) -> str:
    """A name after the words that introduce it: in "Receipt from Notion Labs, Inc." the company
    is what follows."""
    return _introduction().sub("", text.strip())
