"""The text of a mail's body as the finder reads it: HTML as lines, replies without the quoted
mail, and the original sender of a mail forwarded inline."""

from __future__ import annotations

import re

from scanner.extraction.html import html_to_text, looks_like_html

_FORWARD_MARKER = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded\s+message|weitergeleitete\s+nachricht|message\s+transféré"
    r"|mensaje\s+reenviado|original\s+message|ursprüngliche\s+nachricht|message\s+d['’]origine"
    r"|mensaje\s+original)\s*-{2,}|begin\s+forwarded\s+message:|anfang\s+der\s+weitergeleiteten"
    r"\s+nachricht:|début\s+du\s+message\s+(?:réexpédié|transféré)\s*:)",
    re.IGNORECASE | re.MULTILINE,
)
_FORWARDED_FROM = re.compile(r"^\s*\**(?:from|von|de)\**\s*:\s*\**(.+?)\**\s*$", re.I | re.M)
_QUOTE_START = re.compile(
    r"^(?:on\s.{5,200}\swrote:|am\s.{5,200}\sschrieb.{0,100}:|le\s.{5,200}\sa\sécrit\s?:"
    r"|el\s.{5,200}\sescribió:|-{2,}\s*(?:original\s+message|ursprüngliche\s+nachricht)\s*-{2,})\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|wg|tr|rv|enc|i)\s*:", re.IGNORECASE)
_REPLY_SUBJECT = re.compile(r"^\s*(?:re|aw|antw|sv|vs|r)\s*:", re.IGNORECASE)


def body_texts(text_body: str, html_body: str) -> list[tuple[str, bool]]:
    """The body's texts to read, best first, each with whether it came from HTML."""
    texts = []
    if html_body.strip():
        texts.append((html_to_text(html_body), True))
    if text_body.strip():
        if looks_like_html(text_body):
            texts.append((html_to_text(text_body), True))
        else:
            texts.append((text_body, False))
    return texts


def own_part(text: str, subject: str) -> str:
    """A reply's own words, without the mail it quotes; other mails whole (a forward's content is
    what was forwarded)."""
    if not _REPLY_SUBJECT.match(subject) or _FORWARD_MARKER.search(text):
        return text
    start = _QUOTE_START.search(text)
    kept = text[: start.start()] if start else text
    return "\n".join(line for line in kept.splitlines() if not line.lstrip().startswith(">"))


def is_forward(subject: str, text: str) -> bool:
    """Whether the mail forwards another one inline (its sender is not the invoice's vendor)."""
    return bool(_FORWARD_SUBJECT.match(subject) or _FORWARD_MARKER.search(text))


def forwarded_sender(text: str) -> str | None:
    """The "From:" of a mail forwarded inline, as written in the forward's header block."""
    marker = _FORWARD_MARKER.search(text)
    block = text[marker.end() : marker.end() + 1500] if marker else text[:1500]
    found = _FORWARDED_FROM.search(block)
    return found[1].strip() if found else None
