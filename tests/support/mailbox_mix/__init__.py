"""A large, realistic mailbox written straight into a Dovecot user's Maildir (issue 14), and the
invoices a perfect scan of it stores.

The mix, by share of messages (exact counts, shuffled with the seed):

* 5 % invoices: copies of the corpus's invoice mails (tests/support/corpus: PDF, Factur-X, UBL and
  CII e-invoices, HTML receipts, text invoices; never the hostile ones), each copy under a fresh
  Message-ID, so each is an invoice of its own, with the fields the corpus's truth gives;
* 25 % mails with another attachment: photos, office documents, calendar files of 20 to 300 KB;
* the rest: plain notes (30 %), HTML mails (15 %), newsletters (15 %, among them a few copies of
  the corpus's newsletters about invoicing, which are not invoices) and notifications (10 %).

The received times (INTERNALDATE) are spread evenly over the last WINDOW_DAYS days, so a scan of
the last 3 months holds every message.
"""

from __future__ import annotations

import functools
import random
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from tests.support.corpus import CorpusMail, ExpectedInvoice, build_corpus
from tests.support.corpus.mime import OWNER
from tests.support.dovecot import Dovecot
from tests.support.mailbox_mix.templates import Template, templates
from tests.support.maildir import MaildirWriter, index, maildir_of

SHARES = {
    "invoice": 0.05,
    "attachment": 0.25,
    "html": 0.15,
    "newsletter": 0.15,
    "notification": 0.10,
}
# Of the newsletters, this share are the corpus's newsletters about invoicing (not invoices).
INVOICE_SOUNDING = 1 / 15
WINDOW_DAYS = 60
DOMAIN = "bench.example"
_MESSAGE_ID = re.compile(rb"^Message-ID:.*\r\n(?:[ \t].*\r\n)*", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class InvoiceCopy:
    """One invoice the scan must store: the Message-ID of its copy and the corpus's truth."""

    message_id: str
    corpus_name: str
    expected: ExpectedInvoice


@dataclass(frozen=True)
class LargeMailbox:
    """What `write_mailbox` wrote: counts by kind, bytes, the invoices, the received times."""

    user: str
    messages: int
    kinds: Counter[str]
    bytes_written: int
    invoices: tuple[InvoiceCopy, ...]
    first_received: datetime
    last_received: datetime
    build_seconds: float
    index_seconds: float


def plan(messages: int, seed: int) -> list[str]:
    """The kind of each message, in received order: exact shares, shuffled."""
    kinds = [kind for kind, share in SHARES.items() for _ in range(round(messages * share))]
    kinds += ["plain"] * (messages - len(kinds))
    random.Random(seed).shuffle(kinds)
    return kinds


@functools.cache
def _without_message_id(raw: bytes) -> bytes:
    """The corpus mail without its own Message-ID (only the top one: a forwarded message
    inside keeps its own), ready for a fresh one in front."""
    head, separator, rest = raw.partition(b"\r\n\r\n")
    return _MESSAGE_ID.sub(b"", head + b"\r\n", count=1) + separator[2:] + rest


@functools.cache
def corpus_mails() -> tuple[tuple[CorpusMail, ...], tuple[CorpusMail, ...]]:
    """The corpus's invoice mails, and its newsletters (about invoicing, not invoices)."""
    corpus = build_corpus()
    invoices = tuple(mail for mail in corpus if mail.category == "invoice")
    newsletters = tuple(
        mail for mail in corpus if mail.category == "not_invoice" and "newsletter" in mail.name
    )
    return invoices, newsletters


def received_times(messages: int, now: datetime, seed: int) -> list[datetime]:
    """Evenly spread over the last WINDOW_DAYS days up to an hour ago, jittered, ascending."""
    rng = random.Random(seed)
    start = now - timedelta(days=WINDOW_DAYS)
    step = (timedelta(days=WINDOW_DAYS) - timedelta(hours=1)) / max(messages, 1)
    return [start + step * (i + rng.uniform(0.05, 0.95)) for i in range(messages)]


def _copy(mail: CorpusMail, message_id: bytes) -> bytes:
    return b"Message-ID: " + message_id + b"\r\n" + _without_message_id(mail.raw)


def write_mailbox(
    dovecot: Dovecot, user: str, messages: int, *, seed: int = 14, now: datetime | None = None
) -> LargeMailbox:
    """Write `messages` mails into `user`'s INBOX (adding the user, password "pw"), let Dovecot
    index them, and return what was written with the invoices a scan must find."""
    began = time.perf_counter()
    now = now or datetime.now(UTC)
    kinds = plan(messages, seed)
    when = received_times(messages, now, seed)
    invoice_mails, newsletters = corpus_mails()
    pool = templates(seed)
    rng = random.Random(seed + 1)
    writer = MaildirWriter(maildir_of(dovecot, user))
    invoices: list[InvoiceCopy] = []
    to = OWNER.encode()
    counts = {"invoice": 0, "newsletter": 0}
    for number, (kind, received) in enumerate(zip(kinds, when, strict=True)):
        message_id = f"<{number:06d}.{kind}.{seed}@{DOMAIN}>".encode()
        if kind == "invoice":
            mail = invoice_mails[counts["invoice"] % len(invoice_mails)]
            counts["invoice"] += 1
            raw = _copy(mail, message_id)
            invoices += [InvoiceCopy(message_id.decode(), mail.name, e) for e in mail.expected]
        elif kind == "newsletter" and rng.random() < INVOICE_SOUNDING:
            raw = _copy(newsletters[counts["newsletter"] % len(newsletters)], message_id)
            counts["newsletter"] += 1
        else:
            template: Template = rng.choice(pool[kind])
            raw = template.message(to, format_datetime(received).encode(), message_id)
        writer.write(raw, received)
    writer.close()
    built = time.perf_counter()
    dovecot.add_user(user, "pw")
    indexing = time.perf_counter()
    if index(dovecot, user, "pw") != messages:
        raise RuntimeError(f"Dovecot does not serve the {messages} messages written for {user}")
    return LargeMailbox(
        user=user,
        messages=messages,
        kinds=Counter(kinds),
        bytes_written=writer.bytes_written,
        invoices=tuple(invoices),
        first_received=when[0],
        last_received=when[-1],
        build_seconds=built - began,
        index_seconds=time.perf_counter() - indexing,
    )
