"""Mails that are not invoices and carry everything in their body: order confirmations,
shipping notices, newsletters about invoicing, meeting invitations, password resets and chat.

Several use the vocabulary of invoices on purpose (totals, "invoice", prices): a finder must
tell what a mail is, not which words it has.
"""

from __future__ import annotations

from tests.support.corpus.body_mails import body_mail
from tests.support.corpus.data import Entry, entries
from tests.support.corpus.mime import OWNER, as_bytes, attach, sent_at, sent_on, text_message
from tests.support.corpus.model import CorpusMail


def _fold(calendar: str) -> str:
    """iCalendar text with CRLF line ends and lines folded at 75 octets (RFC 5545, 3.1)."""
    lines: list[str] = []
    for line in calendar.strip().splitlines():
        encoded = line.encode()
        while len(encoded) > 75:
            cut = 75 if not lines or not lines[-1].startswith(" ") else 74
            while cut and (encoded[cut] & 0xC0) == 0x80:  # never split a UTF-8 sequence
                cut -= 1
            lines.append(encoded[:cut].decode())
            encoded = b" " + encoded[cut:]
        lines.append(encoded.decode())
    return "\r\n".join(lines) + "\r\n"


def _message(entry: Entry) -> CorpusMail:
    name = entry["name"]
    msg = text_message(
        name,
        entry["sender"],
        entry["subject"],
        sent_on(entry["sent"], name) if "sent" in entry else sent_at(name),
        entry["text"],
        entry.get("html"),
        to=entry.get("to", OWNER),
    )
    if "calendar" in entry:
        calendar = _fold(entry["calendar"])
        msg.add_alternative(calendar, subtype="calendar", params={"method": "REQUEST"})
        attach(msg, calendar.encode(), "application/ics", "invite.ics")
    return CorpusMail(name, as_bytes(msg), "not_invoice", ())


def not_invoice_body_mails() -> list[CorpusMail]:
    """The order confirmations and messages of data/not_invoice_bodies.toml."""
    orders = [body_mail(entry, "not_invoice") for entry in entries("not_invoice_bodies", "order")]
    return orders + [_message(entry) for entry in entries("not_invoice_bodies", "message")]
