"""Read a batch of messages with few bytes and few round trips.

Four steps per batch, one round trip each (or one per distinct set of sections): the outline
(headers, size and BODYSTRUCTURE) of every message; then the text bodies of the messages kept;
then the first bytes of the large attachments that may hold an invoice; then those attachments
(of one looked at, the bytes after its look).

Which attachments may hold an invoice is judged from subject, body and file name: an agenda PDF
is never downloaded, nor a photo, unless its mail is about an invoice (a photographed bill, read
by OCR: scanner.ocr.ocr_candidate_image). A large one is then downloaded only when its first
bytes are what it claims to be (scanner/first_bytes.py): a 6 MB file of random bytes named
invoice.pdf costs a 2 KB look and is recorded as skipped, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from scanner.first_bytes import PEEK_BYTES, decoded_prefix, mismatch
from scanner.imap import ImapSession, Outline
from scanner.invoices import worth_fetching
from scanner.limits import ScanLimits
from scanner.messages import (
    ParsedMessage,
    SkippedPart,
    UnreadableMessage,
    add_part,
    content_message_id,
    parse_headers,
    parse_message,
)
from scanner.ocr import ocr_candidate_image
from scanner.structure import Part, Structure, structure_of

# A message this small is fetched whole: one round trip costs more than its attachments.
SMALL_MESSAGE_BYTES = 16 * 1024
# A text body larger than this is not read: invoices say what they need in far less.
MAX_TEXT_BODY_BYTES = 2 * 1024 * 1024
# An attachment larger than this, once decoded, is looked at before it is downloaded. The look
# costs one more round trip per batch (all its messages' looks together) and 2 KB per part; a
# part below this costs about as much to download whole as a round trip over a slow line.
PEEK_ABOVE_BYTES = 64 * 1024
_INVOICE_FILE_TYPES = frozenset({"application/pdf", "application/xml", "text/xml"})
_INVOICE_FILE_SUFFIXES = (".pdf", ".xml")


@dataclass(slots=True)
class ReadMessage:
    """One message as the scan read it: parsed, or the reason it could not be."""

    uid: int
    internal_date: datetime | None
    parsed: ParsedMessage | None = None
    error: str | None = None
    bytes_fetched: int = 0
    full_size: int = 0  # what downloading it whole would have cost


@dataclass(slots=True)
class _Pending:
    outline: Outline
    read: ReadMessage
    structure: Structure | None = None
    sections: list[str] = field(default_factory=list)
    # A one-part message that may be an invoice file, large enough to be looked at first: it
    # is fetched whole with the attachments, after its look.
    whole_later: bool = False
    # The first bytes of parts that passed their look, by section: only the rest is fetched.
    peeked: dict[str, bytes] = field(default_factory=dict)


def read_batch(
    session: ImapSession,
    uids: Sequence[int],
    limits: ScanLimits,
    keep: Callable[[ParsedMessage], bool] | None = None,
) -> list[ReadMessage]:
    """Read `uids` of the selected folder. `keep` drops a message after its headers (e.g. one
    not addressed to a group address): such a message comes back with `parsed` None, no error."""
    pending = []
    results = []
    for outline in session.outlines(uids):
        read = ReadMessage(outline.uid, outline.internal_date, full_size=outline.size)
        read.bytes_fetched = len(outline.header)
        results.append(read)
        try:
            headers = parse_headers(outline.header, _fallback_id(outline))
            if keep is not None and not keep(headers):
                continue
            read.parsed = headers
            pending.append(_plan_texts(outline, read, limits))
        except Exception as exc:  # headers or a structure the parser chokes on: one mail lost
            read.parsed, read.error = None, f"cannot parse: {type(exc).__name__}: {exc}"
    _fetch(session, pending, limits)
    for item in pending:
        item.sections = _wanted_attachments(item, limits)
    _peek(session, pending)
    _fetch(session, pending, limits)
    return results


def _fallback_id(outline: Outline) -> str:
    # Without a Message-ID, the outline headers and size stand for the message: they are what
    # every later scan sees first, so the same message gets the same id.
    return content_message_id(outline.header + str(outline.size).encode())


def _plan_texts(outline: Outline, read: ReadMessage, limits: ScanLimits) -> _Pending:
    item = _Pending(outline, read)
    if outline.structure is None or outline.size <= SMALL_MESSAGE_BYTES:
        item.sections = [""]
        return item
    item.structure = structure_of(outline.structure, limits.max_depth)
    assert read.parsed is not None
    read.parsed.too_deep = item.structure.too_deep
    if item.structure.single:
        only = item.structure.parts[0]
        if only.is_text_body and only.size <= MAX_TEXT_BODY_BYTES:
            item.sections = [""]
        elif _may_be_invoice(read.parsed, only, only.content_type):
            if _within_limit(read.parsed, only, limits):
                item.whole_later = _worth_a_peek(only)
                item.sections = [] if item.whole_later else [""]
        return item
    item.sections = [
        part.section
        for part in item.structure.parts
        if part.is_text_body and part.size <= MAX_TEXT_BODY_BYTES
    ]
    return item


def _wanted_attachments(item: _Pending, limits: ScanLimits) -> list[str]:
    parsed = item.read.parsed
    if parsed is not None and item.whole_later:
        return [""]
    if item.structure is None or item.structure.single or parsed is None:
        return []
    wanted = []
    for part in item.structure.parts:
        if part.is_text_body or not _may_be_invoice(parsed, part, part.content_type):
            continue
        if _within_limit(parsed, part, limits):
            wanted.append(part.section)
    return wanted


def _within_limit(parsed: ParsedMessage, part: Part, limits: ScanLimits) -> bool:
    """True when `part` may be downloaded; else it is recorded as skipped, with the reason."""
    if part.decoded_size <= limits.max_attachment_bytes:
        return True
    reason = f"about {part.decoded_size} bytes, over the limit of {limits.max_attachment_bytes}"
    parsed.skipped.append(SkippedPart(part.filename, part.content_type, reason))
    return False


def _may_be_invoice(parsed: ParsedMessage | None, part: Part, content_type: str) -> bool:
    if parsed is None:
        return False
    body = parsed.text_body or parsed.html_body
    if part.is_forwarded:
        subject = f"{parsed.subject}\n{part.nested_subject}"
        return any(
            _wanted_file(subject, body, p.filename, p.content_type, p) for p in part.nested
        ) or all(p.is_text_body for p in part.nested)
    return _wanted_file(parsed.subject, body, part.filename, content_type, part)


def _wanted_file(subject: str, body: str, filename: str, content_type: str, part: Part) -> bool:
    if _invoice_file(part) and worth_fetching(subject, body, filename, content_type):
        return True
    return ocr_candidate_image(filename, content_type, subject, body)


def _invoice_file(part: Part) -> bool:
    return part.content_type in _INVOICE_FILE_TYPES or part.filename.lower().endswith(
        _INVOICE_FILE_SUFFIXES
    )


def _worth_a_peek(part: Part) -> bool:
    # A forwarded message claims no file type: its parts are judged by the text around them.
    return part.decoded_size > PEEK_ABOVE_BYTES and not part.is_forwarded


def _peek(session: ImapSession, pending: list[_Pending]) -> None:
    """Look at the first bytes of each large wanted part, all in one round trip; a part that is
    not what it claims to be is skipped with the reason and not downloaded."""
    looks = {item.outline.uid: _peeked_parts(item) for item in pending}
    looks = {uid: parts for uid, parts in looks.items() if parts}
    if not looks:
        return
    wanted = {uid: [peek for _, peek, _ in parts] for uid, parts in looks.items()}
    seen = session.prefixes(wanted, PEEK_BYTES)
    for item in pending:
        prefixes = seen.get(item.outline.uid, {})
        item.read.bytes_fetched += sum(len(value) for value in prefixes.values())
        for fetch, peek, part in looks.get(item.outline.uid, []):
            prefix = prefixes.get(peek, b"")
            reason = _not_what_it_claims(part, prefix)
            if reason is not None and item.read.parsed is not None:
                item.read.parsed.skipped.append(
                    SkippedPart(part.filename, part.content_type, reason)
                )
                item.sections.remove(fetch)
            elif prefix and fetch == peek:  # a one-part message is fetched whole, with headers
                item.peeked[fetch] = prefix


def _peeked_parts(item: _Pending) -> list[tuple[str, str, Part]]:
    """(section to fetch, section to peek, part) of each wanted part worth a look. A one-part
    message is fetched whole (""), its body peeked as section 1 (RFC 3501 6.4.5)."""
    if item.structure is None:
        return []
    if item.whole_later:
        return [("", "1", item.structure.parts[0])]
    parts = {part.section: part for part in item.structure.parts}
    return [
        (section, section, parts[section])
        for section in item.sections
        if section in parts and _worth_a_peek(parts[section])
    ]


def _not_what_it_claims(part: Part, prefix: bytes) -> str | None:
    first = decoded_prefix(prefix, part.encoding)
    if not prefix or first is None:  # nothing to judge by: fetched as it would have been
        return None
    return mismatch(part.filename, part.content_type, first, complete=len(prefix) < PEEK_BYTES)


def _fetch(session: ImapSession, pending: list[_Pending], limits: ScanLimits) -> None:
    """Fetch each pending message's `sections` and add them to its parsed message."""
    wanted = {item.outline.uid: _items_for(item, limits) for item in pending if item.sections}
    fetched = session.sections(wanted)
    for item in pending:
        if not item.sections:
            continue
        data = fetched.get(item.outline.uid, {})
        item.read.bytes_fetched += sum(len(value) for value in data.values())
        try:
            _add_fetched(item, data, limits)
        except UnreadableMessage as exc:
            item.read.parsed, item.read.error = None, str(exc)
        except Exception as exc:  # one hostile mail must not end the batch
            item.read.parsed, item.read.error = None, f"cannot parse: {type(exc).__name__}: {exc}"
        item.sections = []


def _items_for(item: _Pending, limits: ScanLimits) -> list[str]:
    if item.sections == [""]:
        return [""]
    return [
        name
        for section in item.sections
        for name in (f"{section}.MIME", _rest_of(item, section, limits))
    ]


def _rest_of(item: _Pending, section: str, limits: ScanLimits) -> str:
    """What is left to fetch of a part: all of it, or what follows the prefix its look fetched.
    The count bounds every part within the limit (base64 carries 3 bytes in 4): one count for
    the batch, so its messages still share one FETCH."""
    if section not in item.peeked:
        return section
    return f"{section}<{PEEK_BYTES}.{limits.max_attachment_bytes * 4 // 3 + 4}>"


def _add_fetched(item: _Pending, data: dict[str, bytes], limits: ScanLimits) -> None:
    parsed = item.read.parsed
    if parsed is None:
        return
    if item.sections == [""]:
        whole = parse_message(data.get("", b""), limits)
        whole.message_id = parsed.message_id  # the id every scan derives from the outline
        item.read.parsed = whole
        return
    for section in item.sections:
        body = item.peeked.get(section, b"") + data.get(_rest_of(item, section, limits), b"")
        add_part(parsed, data.get(f"{section}.MIME", b""), body, limits)
