"""Which of the vocabulary's languages a text is written in, cheaply.

Counting each language's most frequent words (labels/*.toml, `common_words`) is enough to tell
them apart, costs microseconds and lets dateparser load one language instead of guessing among
two hundred. A word common to several languages votes for each.
"""

from __future__ import annotations

import re
from collections import Counter

from scanner.extraction.labels import LANGUAGES, common_word_languages

__all__ = ["LANGUAGES", "language_of"]

_TOKEN = re.compile(r"[^\W\d_]+")
# Enough words to decide; reading the whole of a long document would change nothing.
_SAMPLE_CHARS = 6000


def language_of(text: str, default: str = "en") -> str:
    """The most likely language of `text` among LANGUAGES, `default` when nothing tells; a tie
    goes to the language listed first."""
    votes_of = common_word_languages()
    votes: Counter[str] = Counter()
    for token in _TOKEN.findall(text[:_SAMPLE_CHARS].lower()):
        for language in votes_of.get(token, ()):
            votes[language] += 1
    if not votes:
        return default
    best = max(votes.values())
    return next(language for language in LANGUAGES if votes[language] == best)
