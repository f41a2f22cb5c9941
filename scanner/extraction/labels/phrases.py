"""Phrases of the vocabulary as regular expressions, and fast search for many of them at once.

A regular expression of hundreds of alternatives tries every one at every position of a text;
invoices are read cell by cell, and that cost dominated a scan. Every phrase starts a word, so
`Phrases` only tries positions where a word starts, and there only the phrases that begin with
that letter (phrases that may begin with any letter, "*rechnung", are tried everywhere), and
only in a text that holds some phrase's longest literal piece at all. Within
a letter's group the alternatives run longest first: a regular expression takes the first that
matches, so the match at a position is its longest phrase.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

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


def required_literal(phrase: str) -> str | None:
    """A piece of text every match of `phrase` contains, case-folded: its longest literal
    piece (None when it has none, a phrase of a number alone)."""
    pieces = [
        piece
        for word in phrase.split()
        if word != NUMBER_PLACEHOLDER
        for piece in re.split(r"[.\-]", word.strip("*"))
        if piece
    ]
    return folded(max(pieces, key=len)) if pieces else None


# What a case-blind regular expression takes for "i" but casefold does not: dotted capital I
# (casefolded to "i" and a combining dot) and dotless i.
_LIKE_I = str.maketrans({"\u0307": None, "ı": "i"})


def folded(text: str) -> str:
    """`text` case-folded so that a piece of it is found wherever a case-blind regular
    expression of the piece would match."""
    return text.casefold().translate(_LIKE_I)


@lru_cache(maxsize=64)
def _folded(text: str) -> str:
    # The same text is searched for every kind's phrases in turn.
    return folded(text)


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
        # A text holding none of these holds none of the phrases: most texts a scan reads
        # (newsletters, notifications) are dismissed by a substring search in C. Case-folded
        # on both sides, which matches at least what a case-blind regular expression does.
        needles = [required_literal(phrase) for _, _, phrase, _ in ranked]
        literals = sorted({needle for needle in needles if needle is not None})
        self._needles = (
            re.compile("|".join(map(re.escape, literals)))
            if literals and len(literals) == len({*needles})
            else None
        )
        # Where a phrase may start: not a space, and a word's first character or a sign; only
        # the letters that begin a phrase, unless some phrase may begin with any. Found by the
        # regular expression engine, not a Python loop over every character of the text.
        letters = "" if self._anywhere is not None else "".join(sorted(compiled))
        first = f"(?=[{re.escape(letters)}])" if letters else ""
        self._starts = re.compile(rf"(?=\S){first}(?:(?<![^\W_])|(?![^\W_]))", re.IGNORECASE)
        # The whole alternation, for composing larger patterns (used on short texts only).
        self.pattern = "|".join(f"(?:{phrase_regex(p)})" for _, _, p, _ in ranked) or "(?!)"

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The phrases of `text`, left to right, none overlapping another."""
        if not self._by_first and self._anywhere is None:
            return
        if self._needles is not None and self._needles.search(_folded(text)) is None:
            return
        index = 0
        while (start := self._starts.search(text, index)) is not None:
            match = self.match(text, start.start())
            if match is None:
                index = start.start() + 1
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
