"""Which attachments are worth downloading, decided before their bytes are fetched.

Missing an invoice costs more than a download, so the answer is yes unless the attachment is
clearly something else: XML always (e-invoices, and small), a PDF unless its file name names
another kind of document ("agenda.pdf", "Angebot_17.pdf") or, with a name that tells nothing
("document.pdf"), its mail is plainly about something else (a meeting, a password) with no
invoice word in its subject or body. Other types (images, office files) are never read.
"""

from __future__ import annotations

from scanner.extraction.detection import MailContext
from scanner.extraction.pdf_text import looks_like_pdf
from scanner.extraction.structured import looks_like_xml
from scanner.extraction.vocabulary import INVOICE, kind_of_name, kinds_in, words_of_filename

# The part of a body that says what a mail is about.
_BODY_CHARS = 3000


def worth_fetching(subject: str, body: str, filename: str, content_type: str) -> bool:
    """Whether an attachment could be an invoice and must be downloaded (see the module)."""
    content_type = content_type.lower()
    if looks_like_xml(filename, content_type):
        return True
    if not looks_like_pdf(filename, content_type):
        return False
    named, about = what_it_is(filename, subject, body)
    if named is not None:
        return named == INVOICE
    return INVOICE in about or not about


def what_it_is(filename: str, subject: str, body: str) -> tuple[str | None, set[str]]:
    """The kind of document an attachment's file name names (None when it names none), and
    else the kinds its mail's subject and body speak of (empty when the name told)."""
    named = kind_of_name(words_of_filename(filename))
    if named is not None:
        return named, set()
    topic = MailContext(subject).topic
    return None, kinds_in(topic) | kinds_in(body[:_BODY_CHARS])
