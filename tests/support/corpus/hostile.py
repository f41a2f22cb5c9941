"""Hostile and broken mails: what a scanner must survive, count as errors, or read regardless.

Unreadable (a scan counts them in errorCount and finds nothing): a truncated invoice PDF, random
bytes named invoice.pdf, 60 levels of nested multiparts, a 25 MB attachment over the scanner's
size limit. Readable despite their faults (each holds one expected invoice): a body in an
unknown charset, a mail without Message-ID, a mail with a malformed Date header and broken
base64 in a part that is not the invoice.
"""

from __future__ import annotations

import base64
import random

from tests.support.corpus.body_templates import invoice_text
from tests.support.corpus.data import document, documents, table
from tests.support.corpus.documents import InvoiceDoc
from tests.support.corpus.mime import LargeParts, as_bytes, attach, new_message, sent_at, sent_on
from tests.support.corpus.model import CorpusMail
from tests.support.corpus.pdf import invoice_pdf
from tests.support.corpus.pdf_mails import PdfMail, pdf_message

_BIG_BYTES = 25 * 1024 * 1024  # over any sensible attachment limit (the scanner's is 15 MB)
_NESTING = 60


def _doc(role: str) -> InvoiceDoc:
    return document(table("hostile")[role])


def _truncated_pdf() -> CorpusMail:
    name, doc = "en-hostile-truncated-pdf", _doc("truncated")
    msg = new_message(name, doc.seller.sender, f"Invoice {doc.number}", sent_on(doc.issued, name))
    msg.set_content(f"Hello,\n\nplease find attached invoice {doc.number}.\n\n{doc.seller.name}\n")
    # A transfer cut short: the PDF stops two fifths in, long before its cross-reference table.
    pdf = invoice_pdf(doc)
    attach(msg, pdf[: len(pdf) * 2 // 5], "application/pdf", f"{doc.number}.pdf")
    return CorpusMail(name, as_bytes(msg), "hostile", (), unreadable=True)


def _random_pdf() -> CorpusMail:
    name = "en-hostile-random-pdf"
    sender = '"Accounts Payable" <ap@vendor-portal.example>'
    msg = new_message(name, sender, "Invoice attached", sent_at(name))
    msg.set_content("Please see the attached invoice.\n")
    attach(msg, random.Random(3).randbytes(180_000), "application/pdf", "invoice.pdf")
    return CorpusMail(name, as_bytes(msg), "hostile", (), unreadable=True)


def _big_attachment() -> CorpusMail:
    name = "en-hostile-big-attachment"
    sender = '"Thames Courier Services Ltd" <invoices@thamescourier.example>'
    subject = "Invoice INV/2026/1101 (high-resolution scan)"
    msg = new_message(name, sender, subject, sent_at(name))
    msg.set_content("Hello,\n\nthe scanned invoice is attached at full resolution.\n")
    header = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    payload = header + random.Random(7).randbytes(_BIG_BYTES - len(header))
    large = LargeParts()
    large.attach(msg, payload, "application/pdf", "invoice_big.pdf")
    return CorpusMail(name, large.as_bytes(msg), "hostile", (), unreadable=True)


def _nested() -> CorpusMail:
    name, doc = "fr-hostile-nested-60", _doc("nested")
    msg = new_message(name, doc.seller.sender, f"Facture {doc.number}", sent_on(doc.issued, name))
    # Written out by hand: the email package itself recurses once per level when serialising.
    parts = [as_bytes(msg).split(b"\r\n\r\n", 1)[0] + b"\r\n"]
    parts.append(b'Content-Type: multipart/mixed; boundary="nest-00"\r\n\r\n')
    for depth in range(1, _NESTING):
        parts.append(
            f"--nest-{depth - 1:02d}\r\n"
            f'Content-Type: multipart/mixed; boundary="nest-{depth:02d}"\r\n\r\n'.encode()
        )
    parts.append(
        f"--nest-{_NESTING - 1:02d}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n".encode()
    )
    parts.append(base64.encodebytes(invoice_text(doc).encode()).replace(b"\n", b"\r\n"))
    parts += [f"--nest-{depth:02d}--\r\n".encode() for depth in reversed(range(_NESTING))]
    return CorpusMail(name, b"".join(parts), "hostile", (), unreadable=True)


def _unknown_charset() -> CorpusMail:
    name, doc = "de-hostile-unknown-charset", _doc("charset")
    msg = new_message(name, doc.seller.sender, f"Rechnung {doc.number}", sent_on(doc.issued, name))
    # UTF-8 text declared in a charset no decoder knows; the amounts are plain ASCII.
    msg.set_content(invoice_text(doc), cte="8bit")
    msg.set_param("charset", "x-unknown-42")
    return CorpusMail(name, as_bytes(msg), "hostile", (doc.expected("TEXT", None),))


def _no_message_id() -> CorpusMail:
    spec = PdfMail("es-hostile-no-message-id", documents(table("hostile")["no_message_id"]))
    msg, expected = pdf_message(spec)
    del msg["Message-ID"]
    return CorpusMail(spec.name, as_bytes(msg), "hostile", expected)


def _bad_date_broken_base64() -> CorpusMail:
    name, doc = "de-hostile-bad-date-broken-base64", _doc("bad_date")
    msg = new_message(name, doc.seller.sender, f"Rechnung {doc.number}", sent_on(doc.issued, name))
    msg.set_content(invoice_text(doc))
    token = b"corpus-broken-base64-part"
    attach(msg, token, "image/png", "logo.png")
    raw = as_bytes(msg)
    # A logo whose base64 has stray characters and loses its last bytes (bad length and padding).
    logo = base64.encodebytes(b"\x89PNG\r\n\x1a\n" + random.Random(5).randbytes(3000))
    broken = (logo[:300] + b"!!*~" + logo[300:-6]).replace(b"\n", b"\r\n")
    raw = raw.replace(base64.b64encode(token), broken.rstrip(b"\r\n"))
    date_line = next(line for line in raw.split(b"\r\n") if line.startswith(b"Date: "))
    raw = raw.replace(date_line, b"Date: Mittwoch, 31. Juni 2026, 25:61 Uhr", 1)
    return CorpusMail(name, raw, "hostile", (doc.expected("TEXT", None),))


def hostile_mails() -> list[CorpusMail]:
    """The seven hostile mails."""
    return [
        _truncated_pdf(),
        _random_pdf(),
        _big_attachment(),
        _nested(),
        _unknown_charset(),
        _no_message_id(),
        _bad_date_broken_base64(),
    ]
