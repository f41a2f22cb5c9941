"""Assembling the corpus's messages: headers, fixed dates, and fast serialising of big parts.

Every value that a real mail client would make random or take from the clock (Message-ID, Date)
is derived from the mail's name instead, so two builds give the same bytes.
"""

from __future__ import annotations

import base64
import datetime
import zlib
from email import policy
from email.message import EmailMessage, MIMEPart

# CRLF line ends: messages travel and are stored that way, and IMAP servers hand them out so.
POLICY = policy.SMTP

OWNER = "Marie Keller <marie.keller@keller-design.example>"

_FIRST = datetime.datetime(2026, 6, 1, 7, 0)
_LAST = datetime.datetime(2026, 11, 20, 18, 0)
# (summer, winter) UTC offsets of the senders' countries; central Europe is the default.
_ZONES = {"US": (-4, -5), "CA": (-4, -5), "GB": (1, 0), "IE": (1, 0), "JP": (9, 9)}
_HOME = {"en": "GB", "de": "DE", "fr": "FR", "es": "ES"}


def stable_number(text: str) -> int:
    """A number that depends only on `text` (unlike hash(), which is salted per process)."""
    return zlib.crc32(text.encode())


def sent_at(name: str, country: str | None = None) -> datetime.datetime:
    """A fixed send time for the mail called `name`, between 2026-06-01 and 2026-11-20."""
    span = int((_LAST - _FIRST).total_seconds() // 60)
    moment = _FIRST + datetime.timedelta(minutes=stable_number(name) % span)
    return _local(moment, name, country)


def sent_on(day: datetime.date, name: str, country: str | None = None) -> datetime.datetime:
    """A fixed send time on `day` (business hours), for mails sent with a dated document."""
    minutes = 7 * 60 + stable_number(name) % (11 * 60)
    moment = datetime.datetime.combine(day, datetime.time()) + datetime.timedelta(minutes=minutes)
    return _local(moment, name, country)


def _local(moment: datetime.datetime, name: str, country: str | None) -> datetime.datetime:
    """`moment` as local time of the sender's country (by default, of the mail's language)."""
    country = country or _HOME.get(name.split("-", 1)[0], "DE")
    summer, winter = _ZONES.get(country, (2, 1))
    # Summer time ends on 25 October 2026 in Europe and on 1 November in North America.
    switch = datetime.date(2026, 11, 1) if country in ("US", "CA") else datetime.date(2026, 10, 25)
    hours = summer if moment.date() < switch else winter
    return moment.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=hours)))


def new_message(
    name: str,
    sender: str,
    subject: str,
    when: datetime.datetime,
    *,
    to: str = OWNER,
    message_id: bool = True,
) -> EmailMessage:
    """A message with the headers every corpus mail has; `message_id=False` leaves it out."""
    msg = EmailMessage(policy=POLICY)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = when
    if message_id:
        domain = sender.rsplit("@", 1)[-1].rstrip(">")
        msg["Message-ID"] = f"<{stable_number(name):08x}.{name}@{domain}>"
    msg["MIME-Version"] = "1.0"
    return msg


def text_message(
    name: str,
    sender: str,
    subject: str,
    when: datetime.datetime,
    text: str,
    html: str | None = None,
    *,
    to: str = OWNER,
) -> EmailMessage:
    """A message with a text body, and an HTML alternative when `html` is given."""
    msg = new_message(name, sender, subject, when, to=to)
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def attach(msg: EmailMessage, data: bytes, mimetype: str, filename: str) -> None:
    """Add `data` as an attachment called `filename`."""
    maintype, subtype = mimetype.split("/")
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)


def _tidy(msg: EmailMessage) -> None:
    """Fixes what the email package would make random or unusual before serialising.

    Boundaries are random by default; here they are numbered within the message. The package
    also writes MIME-Version into every part it creates, which mail clients only put at the top
    of a message (and of a forwarded one).
    """
    seed = stable_number(str(msg.get("Message-ID") or msg.get("Subject") or ""))
    counter = iter(range(1, 10_000))

    def visit(part: MIMEPart, top: bool) -> None:
        if not top:
            del part["MIME-Version"]
        if part.get_content_type() == "message/rfc822":
            for inner in part.iter_parts():
                visit(inner, True)
        elif part.is_multipart():
            part.set_boundary(f"=_part_{next(counter)}_{seed:08x}")
            for child in part.iter_parts():
                visit(child, False)

    visit(msg, True)


def as_bytes(msg: EmailMessage) -> bytes:
    """The message serialised with CRLF line ends and deterministic boundaries."""
    _tidy(msg)
    return msg.as_bytes(policy=POLICY)


class LargeParts:
    """Serialises messages with multi-megabyte attachments quickly.

    The email package base64-encodes and re-splits a payload line by line in Python, which costs
    about a second for the corpus's photos and the 25 MB attachment. Here each large part is
    attached as a short placeholder and its base64 spliced in afterwards with C-speed encoding.
    """

    def __init__(self) -> None:
        self._parts: dict[bytes, bytes] = {}

    def attach(self, msg: EmailMessage, data: bytes, mimetype: str, filename: str) -> None:
        """Like `attach`, for a part whose base64 is filled in by `as_bytes`."""
        token = f"corpus-large-part-{len(self._parts)}-{stable_number(filename)}".encode()
        attach(msg, token, mimetype, filename)
        self._parts[base64.b64encode(token)] = data

    def as_bytes(self, msg: EmailMessage) -> bytes:
        """The message's bytes with every placeholder replaced by its part's base64."""
        raw = as_bytes(msg)
        for token, data in self._parts.items():
            if raw.count(token) != 1:
                raise ValueError("a large-part placeholder must occur exactly once")
            encoded = base64.encodebytes(data).replace(b"\n", b"\r\n").rstrip(b"\r\n")
            raw = raw.replace(token, encoded)
        return raw
