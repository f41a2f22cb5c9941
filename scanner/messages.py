"""Turn raw RFC 5322 bytes into what the invoice finder needs: headers, bodies, attachments."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime


class UnreadableMessage(Exception):
    """The message cannot be parsed at all; the scan counts it and goes on."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A named part of a message."""

    filename: str
    content_type: str
    payload: bytes


@dataclass(slots=True)
class ParsedMessage:
    """The parts of a mail an invoice can be read from."""

    message_id: str
    subject: str
    sender: str
    sent_at: datetime | None
    text_body: str = ""
    html_body: str = ""
    attachments: list[Attachment] = field(default_factory=list)


def content_message_id(raw: bytes) -> str:
    """A stable stand-in for a missing Message-ID: a hash of the message's bytes."""
    return f"<sha256-{hashlib.sha256(raw).hexdigest()[:32]}@invoicescan.local>"


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse `raw`; raises UnreadableMessage when it holds no message at all."""
    if not raw.strip():
        raise UnreadableMessage("empty message")
    msg = message_from_bytes(raw, policy=policy.default)
    if not isinstance(msg, EmailMessage):  # pragma: no cover - policy.default always gives one
        raise UnreadableMessage("not an RFC 5322 message")
    parsed = ParsedMessage(
        message_id=(str(msg.get("Message-ID") or "").strip() or content_message_id(raw)),
        subject=str(msg.get("Subject") or "").strip(),
        sender=str(msg.get("From") or "").strip(),
        sent_at=_header_date(msg),
    )
    for part in msg.walk():
        if part.is_multipart():
            continue
        _collect_part(parsed, part)
    return parsed


def _collect_part(parsed: ParsedMessage, part: EmailMessage) -> None:
    filename = part.get_filename()
    try:
        decoded = part.get_payload(decode=True)
    except (ValueError, LookupError):
        return  # a broken transfer encoding loses this part, not the message
    payload = decoded if isinstance(decoded, bytes) else b""
    if filename:
        parsed.attachments.append(Attachment(filename, part.get_content_type(), payload))
        return
    charset = part.get_content_charset() or "utf-8"
    try:
        text = payload.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        text = payload.decode("utf-8", errors="replace")
    if part.get_content_type() == "text/html":
        parsed.html_body += text
    elif part.get_content_type() == "text/plain":
        parsed.text_body += text


def _header_date(msg: EmailMessage) -> datetime | None:
    value = msg.get("Date")
    if not value:
        return None
    try:
        sent = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return sent if sent.tzinfo else sent.replace(tzinfo=UTC)
