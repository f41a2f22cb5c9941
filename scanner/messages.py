"""Turn RFC 5322 bytes into what the invoice finder needs: headers, bodies, attachments and
forwarded messages, within the scan's limits."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from functools import lru_cache

from scanner.limits import DEFAULT_LIMITS, ScanLimits

# The headers that name whom a message was delivered to.
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")


class UnreadableMessage(Exception):
    """The message cannot be parsed at all; the scan counts it and goes on."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A named part of a message, decoded from its transfer encoding."""

    filename: str
    content_type: str
    payload: bytes

    @property
    def part_key(self) -> str:
        """Names this attachment within its message by content, so the same attachment gets the
        same key whether it was read from a whole message or fetched on its own."""
        return "sha256:" + hashlib.sha256(self.payload).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class SkippedPart:
    """A part the limits kept from being read: the finder decides whether it mattered."""

    filename: str
    content_type: str
    reason: str


@dataclass(slots=True)
class ParsedMessage:
    """The parts of a mail an invoice can be read from. Mails forwarded as attachments
    (message/rfc822) are parsed into `forwarded`, each with its own headers."""

    message_id: str
    subject: str
    sender: str
    sent_at: datetime | None
    recipients: list[str] = field(default_factory=list)  # To, Cc, Delivered-To, X-Original-To
    text_body: str = ""
    html_body: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    forwarded: list[ParsedMessage] = field(default_factory=list)
    skipped: list[SkippedPart] = field(default_factory=list)
    # Set when the MIME tree goes deeper than the limit: the mail is then only partly read.
    too_deep: bool = False


def content_message_id(raw: bytes) -> str:
    """A stable stand-in for a missing Message-ID: a hash of the message's bytes."""
    return f"<sha256-{hashlib.sha256(raw).hexdigest()[:32]}@invoicescan.local>"


def parse_message(raw: bytes, limits: ScanLimits = DEFAULT_LIMITS) -> ParsedMessage:
    """Parse a whole message; raises UnreadableMessage when `raw` holds no message at all."""
    if not raw.strip():
        raise UnreadableMessage("empty message")
    msg = _email_of(raw)
    parsed = parsed_headers(msg, fallback_id=content_message_id(raw))
    _walk(parsed, msg, depth=0, limits=limits)
    return parsed


def parse_headers(raw_header: bytes, fallback_id: str) -> ParsedMessage:
    """A message with headers only, for bodies fetched part by part (see `add_part`)."""
    return parsed_headers(_email_of(raw_header), fallback_id)


def parsed_headers(msg: EmailMessage, fallback_id: str) -> ParsedMessage:
    """The header fields of `msg`, with `fallback_id` when it has no Message-ID."""
    return ParsedMessage(
        message_id=_header(msg, "Message-ID") or fallback_id,
        subject=_header(msg, "Subject"),
        sender=_header(msg, "From"),
        sent_at=_header_date(msg),
        recipients=[
            _header_value(value) for name in RECIPIENT_HEADERS for value in msg.get_all(name, [])
        ],
    )


def add_part(
    parsed: ParsedMessage, mime_header: bytes, body: bytes, limits: ScanLimits = DEFAULT_LIMITS
) -> None:
    """Add one part fetched on its own: its MIME header and its still-encoded body."""
    _walk(parsed, _email_of(mime_header.rstrip(b"\r\n") + b"\r\n\r\n" + body), 0, limits)


class _RememberedHeaders(HeaderRegistry):
    """The standard header classes, each (name, value) parsed once: a message's Content-Type
    is asked for again and again while its parts are walked, and the same Content-Type and
    Content-Disposition lines recur across a mailbox. Parsed headers are immutable."""

    @lru_cache(maxsize=4096)  # noqa: B019 - one instance, alive as long as the module
    def __call__(self, name: str, value: str) -> BaseHeader:
        return super().__call__(name, value)


# policy.default, but for its header factory (a documented policy attribute).
_POLICY = policy.default.clone(header_factory=_RememberedHeaders())


def _email_of(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=_POLICY)
    if not isinstance(msg, EmailMessage):  # pragma: no cover - policy.default always gives one
        raise UnreadableMessage("not an RFC 5322 message")
    return msg


def _walk(parsed: ParsedMessage, part: EmailMessage, depth: int, limits: ScanLimits) -> None:
    if depth > limits.max_depth:
        parsed.too_deep = True
        return
    if part.get_content_type() == "message/rfc822":
        for inner in part.iter_parts():
            if isinstance(inner, EmailMessage):
                fallback = content_message_id(inner.as_bytes(policy=policy.SMTP))
                forwarded = parsed_headers(inner, fallback)
                _walk(forwarded, inner, depth + 1, limits)
                parsed.forwarded.append(forwarded)
                parsed.too_deep |= forwarded.too_deep
        return
    if part.is_multipart():
        for child in part.iter_parts():
            if isinstance(child, EmailMessage):
                _walk(parsed, child, depth + 1, limits)
        return
    _collect_leaf(parsed, part, limits)


def _collect_leaf(parsed: ParsedMessage, part: EmailMessage, limits: ScanLimits) -> None:
    filename = part.get_filename()
    content_type = part.get_content_type()
    try:
        decoded = part.get_payload(decode=True)
    except (ValueError, LookupError):
        return  # a broken transfer encoding loses this part, not the message
    payload = decoded if isinstance(decoded, bytes) else b""
    if filename:
        if len(payload) > limits.max_attachment_bytes:
            reason = f"{len(payload)} bytes, over the limit of {limits.max_attachment_bytes}"
            parsed.skipped.append(SkippedPart(filename, content_type, reason))
        else:
            parsed.attachments.append(Attachment(filename, content_type, payload))
        return
    if content_type == "text/html":
        parsed.html_body += _text_of(part, payload)
    elif content_type == "text/plain":
        parsed.text_body += _text_of(part, payload)


def _text_of(part: EmailMessage, payload: bytes) -> str:
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name: most such mail is UTF-8 or plain ASCII
        return payload.decode("utf-8", errors="replace")


def _header(msg: EmailMessage, name: str) -> str:
    try:
        return str(msg.get(name) or "").strip()
    except (ValueError, TypeError, IndexError):  # a header the parser cannot decode
        raw = msg.get_all(name, failobj=[])
        return _header_value(raw[0]) if raw else ""


def _header_value(value: object) -> str:
    try:
        return str(value).strip()
    except (ValueError, TypeError, IndexError):
        return ""


def _header_date(msg: EmailMessage) -> datetime | None:
    value = _header(msg, "Date")
    if not value:
        return None
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return sent if sent.tzinfo else sent.replace(tzinfo=UTC)
