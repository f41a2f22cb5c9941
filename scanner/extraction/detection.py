"""Is this document an invoice (or a payment receipt, or a credit note)?

Evidence is weighed per kind of document (see `vocabulary`), from the document's own content
first: its title (4), a number label such as "Invoice No." or "Angebotsnummer" (3), a demand for
payment (3: an amount beside "Amount due", or beside an invoice's own total such as
"Rechnungsbetrag"), and words in its text (1 each, at most 2). The mail adds its attachment's
file name (3) and subject (2). A document is an invoice when the invoice evidence reaches 4 and
beats every other kind's: a quotation that says "this is not an invoice" stays a quotation, an
invoice whose mail says "meeting" stays an invoice. A mail body must also show a total and an
invoice title or label, since a body only mentioning an invoice ("I paid the invoice
yesterday") is a conversation.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from itertools import islice

from scanner.extraction.amounts import amounts_in
from scanner.extraction.labels import find_labels, invoice_file_prefix, label_pattern
from scanner.extraction.vocabulary import (
    INVOICE,
    KIND_PATTERNS,
    LABEL_PATTERNS,
    NEGATIVE_KINDS,
    kind_of_name,
    words_of_filename,
)

TITLE_WEIGHT, LABEL_WEIGHT, FILENAME_WEIGHT, SUBJECT_WEIGHT, PAYMENT_WEIGHT = 4, 3, 3, 2, 3
THRESHOLD = 4
# Where a document's title and labels are: its head. Words are counted a little further.
_TITLE_LINES, _LABEL_LINES, _WORD_CHARS, _PAYMENT_LINES = 25, 80, 8000, 200
_REPLY_OR_FORWARD = re.compile(
    r"^\s*(?:(?:re|aw|antw|sv|vs|r|rv|fw|fwd|wg|tr|rif|enc)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class MailContext:
    """The mail around a document: its subject, the start of its body text, and whether a
    person wrote it (rather than a company's system)."""

    subject: str
    body: str = ""
    from_person: bool = False

    @property
    def topic(self) -> str:
        """The subject without its "Re:"/"Fwd:" prefixes."""
        return _REPLY_OR_FORWARD.sub("", self.subject)


def is_invoice_attachment(lines: list[str], filename: str, context: MailContext) -> bool:
    """Whether an attachment whose text is `lines` is an invoice. A PDF without text (a scan)
    is judged by its name and its mail alone, so those need only reach half the threshold."""
    scores = document_evidence(lines)
    _add(scores, kind_of_name(words_of_filename(filename)), FILENAME_WEIGHT)
    _add(scores, kind_of_name(context.topic), SUBJECT_WEIGHT)
    if not lines:
        _add(scores, kind_of_name(context.body[:300]), 1)
    return _wins(scores, THRESHOLD if lines else THRESHOLD // 2)


def is_invoice_body(lines: list[str], context: MailContext) -> bool:
    """Whether a mail body whose text is `lines` could itself be an invoice or receipt (the
    caller also needs a total in it). The body must name itself an invoice (a title or a number
    label), or be a company's mail whose subject does ("Your Uber trip receipt"): a person's
    mail, or a reply, only talks about invoices."""
    subject_kind = kind_of_name(context.topic)
    machine_sent = not context.from_person and context.topic == context.subject
    if not (machine_sent and subject_kind == INVOICE) and not _may_name_itself_invoice(lines):
        return False  # most mail: decided without weighing every kind's words in the body
    scores = document_evidence(lines)
    own = scores[INVOICE]
    _add(scores, subject_kind, SUBJECT_WEIGHT)
    if own < LABEL_WEIGHT and not (machine_sent and subject_kind == INVOICE):
        return False
    return _wins(scores, SUBJECT_WEIGHT if own < LABEL_WEIGHT else THRESHOLD)


def _may_name_itself_invoice(lines: list[str]) -> bool:
    """False when a body's own invoice evidence surely stays under LABEL_WEIGHT: its words
    alone weigh at most 2, so it needs an invoice title, an invoice number label or a demand
    for payment, and this looks for the words those need (in the lines document_evidence
    reads), not for the title itself: a cheap test that never says False for a body that
    names itself an invoice."""
    head = lines[:_TITLE_LINES]
    invoice_words = KIND_PATTERNS[INVOICE]
    if invoice_words.search("\n".join(head)) is not None:
        return True
    if any(invoice_file_prefix().search(line) for line in head):
        return True
    if any(LABEL_PATTERNS[INVOICE].search(line) for line in lines[:_LABEL_LINES]):
        return True
    return any(_demands_payment(line) for line in lines[:_PAYMENT_LINES])


def document_evidence(lines: list[str]) -> Counter[str]:
    """The weight of evidence per kind in a document's own text."""
    scores: Counter[str] = Counter()
    _add(scores, title_kind(lines), TITLE_WEIGHT)
    head = lines[:_LABEL_LINES]
    for kind, pattern in LABEL_PATTERNS.items():
        if any(pattern.search(line) for line in head):
            scores[kind] += LABEL_WEIGHT
    text = "\n".join(lines)[:_WORD_CHARS]
    for kind, pattern in KIND_PATTERNS.items():
        scores[kind] += len(list(islice(pattern.finditer(text), 2)))
    if any(_demands_payment(line) for line in lines[:_PAYMENT_LINES]):
        scores[INVOICE] += PAYMENT_WEIGHT
    return scores


def _demands_payment(line: str) -> bool:
    """Whether a line asks for an amount as an invoice does: "Amount due 12.00", "Zahlbetrag",
    "Rechnungsbetrag 1.163,40 €" (a total whose label names the invoice)."""
    for label in find_labels(line):
        if label.concept == "amount_due" or (
            label.concept == "grand_total"
            and label_pattern("invoice_total").fullmatch(line[label.start : label.end])
        ):
            return bool(amounts_in(line[label.end :]))
    return False


def title_kind(lines: list[str]) -> str | None:
    """The kind the first title-like line of a document names: one whose first words name it
    ("Handelsrechnung (380) 05.06.2018 Nr. 471102", "GITHUB RECEIPT - PERSONAL SUBSCRIPTION"),
    or a short one without figures (a table row "01/10 Recibo Telefónica -72,48" is no title)."""
    for line in lines[:_TITLE_LINES]:
        kind = kind_of_name(line)
        if kind is None:
            continue
        match = KIND_PATTERNS[kind].search(line)
        leading = match is not None and len(line[: match.start()].split()) < 2
        if (leading and len(line.split()) <= 10) or (
            len(line.split()) <= 6 and not any(char.isdigit() for char in line)
        ):
            return kind
    return None


def invoice_related(context: MailContext, filename: str = "") -> bool:
    """Whether a part that could not be read was likely an invoice, from its name and mail."""
    named = kind_of_name(words_of_filename(filename)) if filename else None
    if named is not None:
        return named == INVOICE
    return kind_of_name(context.topic) == INVOICE


def _add(scores: Counter[str], kind: str | None, weight: int) -> None:
    if kind is not None:
        scores[kind] += weight


def _wins(scores: Counter[str], threshold: int) -> bool:
    invoice = scores[INVOICE]
    return invoice >= threshold and all(invoice > scores[kind] for kind in NEGATIVE_KINDS)
