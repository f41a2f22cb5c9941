"""The kinds of document a mailbox holds, named by the words of the vocabulary's languages.

"invoice" covers payment receipts and credit notes. The other kinds are what a mailbox holds
beside invoices and must not be taken for them: quotations, order confirmations, shipping and
delivery notes, newsletters, meeting papers, account mails, contracts and terms, CVs, price lists
and bank statements. The words are data, in scanner/extraction/labels/*.toml.
"""

from __future__ import annotations

import re

from scanner.extraction.labels import (
    document_patterns,
    invoice_file_prefix,
    number_label_patterns,
)

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
# Each kind's words; a credit note is an invoice here, and is told apart only for its sign.
KIND_PATTERNS = {kind: p for kind, p in document_patterns().items() if kind != CREDIT_NOTE}
NEGATIVE_KINDS = tuple(kind for kind in KIND_PATTERNS if kind != INVOICE)
# A number label of a kind ("Invoice No.", "Angebotsnummer"): the strongest sign of what a
# document is.
LABEL_PATTERNS = number_label_patterns()


def kinds_in(text: str) -> set[str]:
    """The kinds whose words appear in `text`."""
    return {kind for kind, pattern in KIND_PATTERNS.items() if pattern.search(text)}


def kind_of_name(text: str) -> str | None:
    """The kind a short text names (a subject, a file name, a title): the kind named first, since
    a short text leads with its topic: "Newsletter: new invoice features" is a newsletter, "Quote
    for your invoice software" a quote, "Invoice for the webinar of May 5" an invoice. Of two
    names that start together the longer wins: "Bon de livraison" is a delivery note."""
    first: tuple[int, int, str] | None = None
    for kind, pattern in KIND_PATTERNS.items():
        match = pattern.search(text)
        if match and (first is None or (match.start(), -match.end()) < first[:2]):
            first = (match.start(), -match.end(), kind)
    if first is None and invoice_file_prefix().search(text):
        return INVOICE
    return first[2] if first else None


def words_of_filename(filename: str) -> str:
    """A file name as words: separators and camel case split, the extension dropped."""
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", filename)
    stem = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", stem)
    return re.sub(r"[_\-.+()\[\]]+|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", " ", stem)
