"""Looking before downloading: a large part that may hold an invoice is first peeked at (its
first 2 KB, over real Dovecot) and downloaded only when it begins as what it claims to be."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from email.message import EmailMessage
from itertools import count

import pytest
from PIL import Image

from models.enums import ImapSecurity
from scanner.first_bytes import PEEK_BYTES
from scanner.imap import ImapLogin, ImapSession
from scanner.invoices import find_invoices
from scanner.limits import DEFAULT_LIMITS
from scanner.messages import SkippedPart
from scanner.reading import PEEK_ABOVE_BYTES, ReadMessage, read_batch
from tests.scanner.test_reading import WHEN, message, parsed, read_inbox
from tests.support.dovecot import Dovecot
from tests.support.paths import CORPORA

NOISE = random.Random(11).randbytes(6 * 1024 * 1024)  # 6 MB of random bytes
REAL_PDF = (CORPORA / "real-dev/mustangproject/103767-Invoice-2026-03-24-1.pdf").read_bytes()
JUNK_PDF = random.Random(4).randbytes(500) + REAL_PDF
NOT_A_PDF = SkippedPart(
    "invoice.pdf", "application/pdf", "not a PDF: its first bytes are not %PDF-"
)
_users = count()


def jpeg_photo() -> bytes:
    """A photo-sized JPEG: noise, which JPEG cannot compress."""
    pixels = random.Random(12).randbytes(300 * 300 * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (300, 300), pixels).save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Iterator[tuple[Dovecot, ImapLogin]]:
    user, password = f"peeker{next(_users)}@x.example", "pw-peeker"
    dovecot.add_user(user, password)
    login = ImapLogin(
        dovecot.host, dovecot.port, ImapSecurity.NONE, user, password, allow_private_hosts=True
    )
    yield dovecot, login


def store(mailbox: tuple[Dovecot, ImapLogin], *raws: bytes) -> ImapLogin:
    dovecot, login = mailbox
    dovecot.append(login.username, login.password or "", [(raw, WHEN) for raw in raws])
    return login


def unreadable(read: ReadMessage) -> list[str]:
    return find_invoices(parsed(read)).unreadable


def test_random_bytes_named_invoice_pdf_cost_a_peek(mailbox: tuple[Dovecot, ImapLogin]) -> None:
    raw = message("Invoice 123", "Attached.", ("invoice.pdf", "application/pdf", NOISE))
    login = store(mailbox, raw)

    [read] = read_inbox(login)

    assert parsed(read).attachments == [] and parsed(read).skipped == [NOT_A_PDF]
    assert unreadable(read) == ["invoice.pdf: not read, not a PDF: its first bytes are not %PDF-"]
    # Headers, outline and text body, and the peek (counted): not the 8 MB of base64.
    assert PEEK_BYTES < read.bytes_fetched < 16_000 < 8_000_000 < read.full_size


def test_one_part_message_of_random_bytes_costs_a_peek(
    mailbox: tuple[Dovecot, ImapLogin],
) -> None:
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Message-ID"] = "Acme <b@acme.example>", "Invoice 124", "<1>"
    msg.set_content(NOISE, maintype="application", subtype="pdf", filename="invoice.pdf")
    login = store(mailbox, msg.as_bytes())

    [read] = read_inbox(login)

    assert parsed(read).skipped == [NOT_A_PDF] and parsed(read).attachments == []
    assert PEEK_BYTES < read.bytes_fetched < 16_000


def test_real_pdfs_and_a_photo_are_still_fetched_and_read(
    mailbox: tuple[Dovecot, ImapLogin],
) -> None:
    photo = jpeg_photo()
    assert min(len(REAL_PDF), len(photo)) > PEEK_ABOVE_BYTES  # each is peeked first
    login = store(
        mailbox,
        message("Invoice 103767", "Attached.", ("invoice.pdf", "application/pdf", REAL_PDF)),
        message("Invoice 103767 (scan)", "Attached.", ("invoice.pdf", "application/pdf", JUNK_PDF)),
        message("Invoice 125", "A photo of the bill.", ("invoice.jpg", "image/jpeg", photo)),
    )

    real, junk, snapshot = read_inbox(login)

    assert [a.payload for a in parsed(real).attachments] == [REAL_PDF]
    assert [a.payload for a in parsed(junk).attachments] == [JUNK_PDF]
    assert [(a.filename, a.payload) for a in parsed(snapshot).attachments] == [
        ("invoice.jpg", photo)
    ]
    for read in (real, junk):
        assert read.bytes_fetched < read.full_size  # the look's bytes are not fetched twice
        [invoice] = find_invoices(parsed(read)).invoices
        assert (invoice.invoice_number, str(invoice.total_amount)) == ("103767", "681.87")
        assert parsed(read).skipped == []
    [photo_part] = find_invoices(parsed(snapshot)).ocr_parts  # goes to OCR
    assert photo_part.payload == photo
    assert len(photo) < snapshot.bytes_fetched < len(photo) * 4 // 3 + 2 * PEEK_BYTES + 3_000


def test_a_batch_peeks_in_one_round_trip(mailbox: tuple[Dovecot, ImapLogin]) -> None:
    login = store(
        mailbox,
        message("Invoice 126", "Attached.", ("invoice.pdf", "application/pdf", NOISE[:500_000])),
        message("Invoice 127", "Attached.", ("invoice.pdf", "application/pdf", REAL_PDF)),
        message("Invoice 128", "Attached.", ("invoice.pdf", "application/pdf", NOISE[1:90_000])),
    )
    commands: list[list[str]] = []
    with ImapSession(login) as session:
        session.select("INBOX")
        uids = session.search(["ALL"])
        fetch = session.client.fetch

        def counted(messages, items, *args, **kwargs):
            commands.append(list(items))
            return fetch(messages, items, *args, **kwargs)

        session.client.fetch = counted
        first, second, third = read_batch(session, uids, DEFAULT_LIMITS)

    # Outline, text bodies, one look at all three attachments, the rest of the one that passed
    # (up to the largest part within the limit, as base64).
    assert len(commands) == 4
    assert commands[2] == [f"BODY.PEEK[2]<0.{PEEK_BYTES}>"]
    assert commands[3] == ["BODY.PEEK[2.MIME]", f"BODY.PEEK[2]<{PEEK_BYTES}.20971524>"]
    assert parsed(first).skipped == [NOT_A_PDF] == parsed(third).skipped
    assert [a.payload for a in parsed(second).attachments] == [REAL_PDF]


def test_prefixes_are_the_first_bytes_of_each_section(mailbox: tuple[Dovecot, ImapLogin]) -> None:
    raw = message(
        "Two files",
        "Attached.",
        ("a.pdf", "application/pdf", REAL_PDF),
        ("b.pdf", "application/pdf", b"%PDF-1.4 tiny"),
    )
    login = store(mailbox, raw)
    with ImapSession(login) as session:
        session.select("INBOX")
        [uid] = session.search(["ALL"])
        whole = session.sections({uid: ["2", "3"]})[uid]
        first = session.prefixes({uid: ["2", "3", "9"]}, 100)[uid]
        rest = session.sections({uid: ["2<100.1000000>", "3<100.1000000>"]})[uid]

    assert first == {"2": whole["2"][:100], "3": whole["3"], "9": b""}
    assert rest == {"2<100.1000000>": whole["2"][100:], "3<100.1000000>": b""}
    assert len(whole["2"]) > 100 > len(whole["3"])
