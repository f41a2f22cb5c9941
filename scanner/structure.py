"""A message's MIME tree as BODYSTRUCTURE describes it, numbered the way IMAP names sections."""

from __future__ import annotations

from dataclasses import dataclass
from email.header import decode_header, make_header
from email.utils import decode_rfc2231
from typing import Any
from urllib.parse import unquote

from imapclient.response_types import BodyData


@dataclass(frozen=True, slots=True)
class Part:
    """One leaf of the tree, or a forwarded message (message/rfc822) with its own leaves."""

    section: str  # "1", "2.1": what BODY[...] names
    content_type: str  # lower case, e.g. "application/pdf"
    filename: str  # "" when the part names none
    size: int  # bytes as the server holds them, still transfer-encoded
    encoding: str  # "base64", "quoted-printable", "7bit", ...
    nested: tuple[Part, ...] = ()  # a forwarded message's leaves
    nested_subject: str = ""

    @property
    def decoded_size(self) -> int:
        """About how large the part is once decoded: base64 carries 3 bytes in 4."""
        return self.size * 3 // 4 if self.encoding == "base64" else self.size

    @property
    def is_text_body(self) -> bool:
        return not self.filename and self.content_type in ("text/plain", "text/html")

    @property
    def is_forwarded(self) -> bool:
        return self.content_type == "message/rfc822"


@dataclass(frozen=True, slots=True)
class Structure:
    """The leaves of a message in order; `single` when the message is one part, which can only
    be fetched whole; `too_deep` when nesting went past the limit and the rest was not walked."""

    parts: tuple[Part, ...]
    single: bool
    too_deep: bool


def structure_of(body: BodyData, max_depth: int) -> Structure:
    """Walk BODYSTRUCTURE into numbered parts, at most `max_depth` levels deep."""
    walker = _Walker(max_depth)
    if body.is_multipart:
        parts = walker.children(body, prefix="", depth=1)
        return Structure(tuple(parts), single=False, too_deep=walker.too_deep)
    return Structure((walker.leaf(body, "1", depth=1),), single=True, too_deep=walker.too_deep)


class _Walker:
    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self.too_deep = False

    def children(self, body: Any, prefix: str, depth: int) -> list[Part]:
        if depth > self.max_depth:
            self.too_deep = True
            return []
        parts: list[Part] = []
        for index, child in enumerate(body[0], start=1):
            section = f"{prefix}{index}"
            if child.is_multipart:
                parts.extend(self.children(child, f"{section}.", depth + 1))
            else:
                parts.append(self.leaf(child, section, depth + 1))
        return parts

    def leaf(self, body: Any, section: str, depth: int) -> Part:
        content_type = f"{_text(body[0])}/{_text(body[1])}".lower()
        params = _params(body[2])
        encoding = _text(body[5]).lower()
        size = body[6] if isinstance(body[6], int) else 0
        nested: tuple[Part, ...] = ()
        nested_subject = ""
        if content_type == "message/rfc822" and len(body) > 8 and isinstance(body[8], tuple):
            # IMAPClient wraps only the outer structure; a forwarded mail's is a plain tuple.
            inner = BodyData.create(body[8])
            nested_subject = _envelope_subject(body[7])
            if inner.is_multipart:
                nested = tuple(self.children(inner, f"{section}.", depth + 1))
            else:
                nested = (self.leaf(inner, f"{section}.1", depth + 1),)
        filename = _params(_disposition(body, content_type)).get("filename") or params.get("name")
        return Part(section, content_type, filename or "", size, encoding, nested, nested_subject)


def _envelope_subject(envelope: Any) -> str:
    # Inside BODYSTRUCTURE the envelope stays a plain tuple: date, subject, from, ...
    if isinstance(envelope, tuple) and len(envelope) > 1:
        return _decoded(envelope[1])
    return ""


def _disposition(body: Any, content_type: str) -> Any:
    # Extension data follows the basic fields: text/* has a line count after the size, a
    # message/rfc822 an envelope, a body and a line count; then MD5, then the disposition.
    start = 8 if content_type.startswith("text/") else 10 if content_type == "message/rfc822" else 7
    disposition = body[start + 1] if len(body) > start + 1 else None
    if isinstance(disposition, tuple) and len(disposition) == 2:
        return disposition[1]
    return None


def _params(raw: Any) -> dict[str, str]:
    """BODYSTRUCTURE's flat (key, value, key, value) parameters, RFC 2231 and 2047 decoded."""
    if not isinstance(raw, tuple):
        return {}
    params: dict[str, str] = {}
    for key, value in zip(raw[::2], raw[1::2], strict=False):
        name = _text(key).lower()
        if name.endswith("*"):  # RFC 2231: charset'language'percent-encoded
            params[name.rstrip("*")] = _rfc2231(_text(value))
        else:
            params.setdefault(name, _decoded(value))
    return params


def _rfc2231(value: str) -> str:
    charset, _language, encoded = decode_rfc2231(value)
    try:
        return unquote(encoded, encoding=charset or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name
        return unquote(encoded, errors="replace")


def _decoded(value: Any) -> str:
    text = _text(value)
    try:
        return str(make_header(decode_header(text)))
    except (ValueError, LookupError, UnicodeError):
        return text


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)
