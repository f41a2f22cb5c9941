"""Phrases of the vocabulary as regular expressions, and fast search for many of them at once.

A regular expression of hundreds of alternatives tries every one at every position of a text;
invoices are read cell by cell, and that cost dominated a scan. Every phrase starts a word, so
`Phrases` only tries positions where a word starts, and there only the phrases that begin with
that letter (phrases that may begin with any letter, "*rechnung", are tried everywhere). Within
a letter's group the alternatives run longest first: a regular expression takes the first that
matches, so the match at a position is its longest phrase.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

NUMBER_PLACEHOLDER = "{n}"
_SEPARATORS = r"[\s\-./]*"
_LETTERS = r"[^\W\d_]*"


def phrase_regex(phrase: str) -> str:
    """The regular expression of one phrase (see README.md for the syntax)."""
    words = phrase.lower().split()
    parts = []
    for word in words:
        if word == NUMBER_PLACEHOLDER:
            parts.append(r"\d{1,3}")
            continue
        prefix = _LETTERS if word.startswith("*") else ""
        suffix = _LETTERS if word.endswith("*") and len(word) > 1 else ""
        core = word.strip("*")
        optional_dot = core.endswith(".") and len(core) > 1
        core = core.rstrip(".") if optional_dot else core
        # Inner dots and hyphens ("p.iva", "e-mail") may be written with a space or not at all.
        body = _SEPARATORS.join(re.escape(piece) for piece in re.split(r"[.\-]", core) if piece)
        parts.append(prefix + body + suffix + (r"\.?" if optional_dot else ""))
    pattern = _SEPARATORS.join(parts)
    head = r"(?<![^\W_])" if re.match(r"\w", words[0].lstrip("*")) else ""
    tail = r"(?![^\W_])" if re.search(r"[\w.]$", words[-1].rstrip("*")) else ""
    return head + pattern + tail


class Phrases:
    """Phrases, each of a concept, found where words start: the leftmost phrase, and of those
    starting there the longest (then the concept listed first)."""

    def __init__(self, phrases: Iterable[tuple[str, str]]) -> None:
        """`phrases`: (concept, phrase) pairs, in the order that settles ties."""
        ranked = sorted(
            (-len(phrase), rank, phrase, concept)
            for rank, (concept, phrase) in enumerate(dict.fromkeys(phrases))
        )
        self.concepts: dict[str, str] = {}
        groups: dict[str, list[str]] = {}
        for index, (_, _, phrase, concept) in enumerate(ranked):
            self.concepts[f"g{index}"] = concept
            first = phrase.lstrip()[0].lower()
            groups.setdefault("" if first in "*{" else first, []).append(
                f"(?P<g{index}>{phrase_regex(phrase)})"
            )
        compiled = {
            key: re.compile("|".join(parts), re.IGNORECASE) for key, parts in groups.items()
        }
        self._anywhere = compiled.pop("", None)
        self._by_first = compiled
        # The whole alternation, for composing larger patterns (used on short texts only).
        self.pattern = "|".join(f"(?:{phrase_regex(p)})" for _, _, p, _ in ranked) or "(?!)"

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The phrases of `text`, left to right, none overlapping another."""
        index, length = 0, len(text)
        while index < length:
            char = text[index]
            if char.isspace() or (char.isalnum() and index and text[index - 1].isalnum()):
                index += 1
                continue
            match = self.match(text, index)
            if match is None:
                index += 1
                continue
            yield match
            index = match.end()

    def match(self, text: str, position: int = 0) -> re.Match[str] | None:
        """The longest phrase that starts at `position`, if any."""
        best = None
        for pattern in (self._by_first.get(text[position : position + 1].lower()), self._anywhere):
            found = pattern.match(text, position) if pattern is not None else None
            if found and found.end() > position and (best is None or found.end() > best.end()):
                best = found
        return best

    def search(self, text: str) -> re.Match[str] | None:
        """The first phrase in `text`."""
        return next(self.finditer(text), None)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        """The phrase that is all of `text`."""
        found = self.match(text) if text else None
        return found if found is not None and found.end() == len(text) else None

    def concept_of(self, match: re.Match[str]) -> str:
        """The concept of a phrase found."""
        return self.concepts[match.lastgroup or ""]
