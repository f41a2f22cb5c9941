"""Reading messages over IMAP: outlines first, then only the parts that may hold an invoice."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from itertools import count

import pytest

from models.enums import ImapSecurity
from scanner.folders import addressed_to, groups_work, inbox_work
from scanner.imap import ImapLogin, ImapSession
from scanner.limits import DEFAULT_LIMITS, ScanLimits
from scanner.messages import ParsedMessage
from scanner.reading import ReadMessage, read_batch
from tests.support.dovecot import Dovecot

WHEN = datetime.now(UTC) - timedelta(days=3)
# Begins as a JPEG does: a large photo is fetched only when its first bytes are a JPEG's.
PHOTO = b"\xff\xd8\xff\xe0" + random.Random(1).randbytes(600_000)
PDF = b"%PDF-1.4\n" + random.Random(2).randbytes(200_000) + b"\n%%EOF\n"
_users = count()


def message(subject: str, body: str, *attachments: tuple[str, str, bytes], **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = (
        "Acme GmbH <billing@acme.example>",
        "me@x.example",
        subject,
    )
    msg["Message-ID"] = f"<{abs(hash(subject))}@acme.example>"
    for name, value in headers.items():
        del msg[name.replace("_", "-")]
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    for filename, content_type, payload in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Iterator[tuple[Dovecot, ImapLogin]]:
    user, password = f"reader{next(_users)}@x.example", "pw-reader"
    dovecot.add_user(user, password)
    login = ImapLogin(
        dovecot.host, dovecot.port, ImapSecurity.NONE, user, password, allow_private_hosts=True
    )
    yield dovecot, login


def parsed(read: ReadMessage) -> ParsedMessage:
    assert read.parsed is not None, read.error
    return read.parsed


def read_inbox(login: ImapLogin, limits: ScanLimits = DEFAULT_LIMITS) -> list[ReadMessage]:
    with ImapSession(login) as session:
        [work] = inbox_work(session, date.today() - timedelta(days=30))
        return read_batch(session, work.uids, limits)


def test_only_invoice_parts_are_downloaded(mailbox: tuple[Dovecot, ImapLogin]) -> None:
    dovecot, login = mailbox
    raws = [
        message("Photos from Friday", "Here they are.", ("beach.jpg", "image/jpeg", PHOTO)),
        message("Agenda for Monday", "See the agenda.", ("agenda.pdf", "application/pdf", PDF)),
        message("Your invoice 2026-114", "Attached.", ("invoice-114.pdf", "application/pdf", PDF)),
    ]
    dovecot.append(login.username, login.password or "", [(raw, WHEN) for raw in raws])

    photos, agenda, invoice = read_inbox(login)

    assert [a.filename for a in parsed(invoice).attachments] == ["invoice-114.pdf"]
    assert parsed(invoice).attachments[0].payload == PDF
    assert parsed(photos).attachments == [] and parsed(agenda).attachments == []
    assert "See the agenda." in parsed(agenda).text_body
    # The photo and the agenda cost their headers, outline and text body only.
    assert photos.bytes_fetched < 3_000 < len(PHOTO)
    assert agenda.bytes_fetched < 3_000
    assert len(PDF) < invoice.bytes_fetched < invoice.full_size


def test_over_size_invoice_is_skipped_with_a_reason(mailbox: tuple[Dovecot, ImapLogin]) -> None:
    dovecot, login = mailbox
    raw = message("Invoice 7", "Attached.", ("invoice-7.pdf", "application/pdf", PDF))
    dovecot.append(login.username, login.password or "", [(raw, WHEN)])

    [read] = read_inbox(login, ScanLimits(max_attachment_bytes=100_000))

    assert parsed(read).attachments == []
    [skipped] = parsed(read).skipped
    assert skipped.filename == "invoice-7.pdf" and "over the limit of 100000" in skipped.reason
    assert read.bytes_fetched < 3_000


def test_forwarded_invoice_is_read_with_its_own_headers(mailbox: tuple[Dovecot, ImapLogin]) -> None:
    dovecot, login = mailbox
    inner = EmailMessage()
    inner["From"], inner["Subject"] = "Hetzner Online GmbH <b@h.example>", "Invoice 99"
    inner["Message-ID"] = "<inner@h.example>"
    inner.set_content("Your invoice.")
    inner.add_attachment(PDF, maintype="application", subtype="pdf", filename="R99.pdf")
    outer = EmailMessage()
    outer["From"], outer["Subject"], outer["Message-ID"] = "Me <me@x>", "Fwd: Invoice 99", "<o@x>"
    outer.set_content("For the books.")
    outer.add_attachment(inner)
    # Not a photo: a photo of a mail about an invoice is fetched for OCR (test below).
    outer.add_attachment(PHOTO, maintype="application", subtype="zip", filename="me.zip")
    dovecot.append(login.username, login.password or "", [(outer.as_bytes(), WHEN)])

    [read] = read_inbox(login)

    [forwarded] = parsed(read).forwarded
    assert forwarded.sender == "Hetzner Online GmbH <b@h.example>"
    assert [a.payload for a in forwarded.attachments] == [PDF]
    assert read.bytes_fetched < read.full_size - len(PHOTO)


def test_photo_of_an_invoice_mail_is_fetched_for_ocr(mailbox: tuple[Dovecot, ImapLogin]) -> None:
    dovecot, login = mailbox
    raw = message(
        "Your invoice 2026-117",
        "Please find the invoice for March attached.",
        ("invoice-photo.jpg", "image/jpeg", PHOTO),
    )
    dovecot.append(login.username, login.password or "", [(raw, WHEN)])

    [read] = read_inbox(login)

    assert [(a.filename, a.payload) for a in parsed(read).attachments] == [
        ("invoice-photo.jpg", PHOTO)
    ]
    assert read.bytes_fetched > len(PHOTO)


def test_mail_without_message_id_gets_the_same_id_every_time(
    mailbox: tuple[Dovecot, ImapLogin],
) -> None:
    dovecot, login = mailbox
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "Shop <s@x>", "Receipt"
    msg.set_content("Total: 5 EUR")
    dovecot.append(login.username, login.password or "", [(msg.as_bytes(), WHEN)])

    [first], [again] = read_inbox(login), read_inbox(login)

    assert parsed(first).message_id == parsed(again).message_id
    assert parsed(first).message_id.startswith("<sha256-")


def test_groups_keeps_exact_recipients_only(mailbox: tuple[Dovecot, ImapLogin]) -> None:
    dovecot, login = mailbox
    raws = [
        message("To the group", "x", To="ap@corp.example"),
        message("To a near miss", "x", To="nap@corp.example"),  # SEARCH TO matches substrings
        message("Delivered to the group", "x", Delivered_To="AP@corp.example"),
    ]
    dovecot.append(login.username, login.password or "", [(raw, WHEN) for raw in raws])
    with ImapSession(login) as session:
        [work] = groups_work(session, date.today() - timedelta(days=30), ["ap@corp.example"])
        session.select(work.folder)
        read = read_batch(session, work.uids, ScanLimits(), addressed_to(["ap@corp.example"]))
    assert [r.parsed.subject if r.parsed else None for r in read] == [
        "To the group",
        None,
        "Delivered to the group",
    ]
