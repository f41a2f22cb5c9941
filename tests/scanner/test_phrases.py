"""Finding phrases fast (scanner/extraction/labels/phrases.py) finds exactly what trying every
position of the text finds: the same phrases, at the same places, of the same concepts."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from scanner.extraction.labels import label_patterns, number_label_patterns
from scanner.extraction.labels.phrases import Phrases, folded
from scanner.extraction.vocabulary import KIND_PATTERNS
from scanner.messages import parse_message
from tests.support.corpus import build_corpus


def every_position(phrases: Phrases, text: str) -> Iterator[re.Match[str]]:
    """The search as it was: every position that starts a word or is a sign is tried."""
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char.isspace() or (char.isalnum() and index and text[index - 1].isalnum()):
            index += 1
            continue
        match = phrases.match(text, index)
        if match is None:
            index += 1
            continue
        yield match
        index = match.end()


def texts() -> list[str]:
    bodies = []
    for mail in build_corpus():
        try:
            parsed = parse_message(mail.raw)
        except Exception:  # the corpus's hostile mails
            continue
        bodies += [parsed.subject, parsed.text_body[:4000], parsed.html_body[:4000]]
    crafted = [
        "INVOİCE NO. 2026-17 and Rechnungsnummer 5",
        "ınvoıce no 12; STRASSE; Straße",
        "Kundennr.:123 Rechnungs-Nr. 4/2026 — Facture n° 77",
    ]
    return [text for text in bodies if text] + crafted


@pytest.mark.parametrize(
    "name",
    ["kinds", "number labels", "field labels"],
)
def test_the_fast_search_finds_what_every_position_finds(name: str) -> None:
    groups = {
        "kinds": KIND_PATTERNS,
        "number labels": number_label_patterns(),
        "field labels": label_patterns(),
    }[name]
    compared = 0
    for text in texts():
        for phrases in groups.values():
            fast = [(m.start(), m.end(), phrases.concept_of(m)) for m in phrases.finditer(text)]
            slow = [
                (m.start(), m.end(), phrases.concept_of(m)) for m in every_position(phrases, text)
            ]
            assert fast == slow, text[:200]
            compared += len(slow)
    assert compared >= 50  # the texts hold phrases to find, not only misses


def test_folding_matches_what_a_case_blind_expression_matches() -> None:
    for text, piece in [("INVOİCE", "invoice"), ("ınvoıce", "invoice"), ("STRAẞE", "straße")]:
        assert re.search(piece, text, re.IGNORECASE)
        assert folded(piece) in folded(text)
