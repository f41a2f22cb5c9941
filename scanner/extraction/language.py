"""Which of the four invoice languages (en, de, fr, es) a text is written in, cheaply.

Counting a few dozen frequent words is enough to tell these four apart, costs microseconds and
lets dateparser load one language instead of guessing among two hundred.
"""

from __future__ import annotations

import re
from collections import Counter

LANGUAGES = ("en", "de", "fr", "es")
_WORDS = {
    "en": "the and of to for your you is are this with invoice amount due paid "
    "payment thank receipt please order tax from",
    "de": "der die das und ist nicht mit für sie ihre ihr rechnung betrag datum zahlung "
    "vielen dank bitte bis vom zu auf dem netto summe gesamtbetrag",
    "fr": "le les et est pas avec pour vous votre vos facture montant paiement "
    "merci du au des une à payer échéance",
    "es": "el los las y es con para usted su sus factura importe fecha pago gracias "
    "del por una pagar vencimiento",
}
_VOTES = {word: language for language, words in _WORDS.items() for word in words.split()}
_TOKEN = re.compile(r"[a-zäöüßéèêàâçñáíóúº]+")
# Enough words to decide; reading the whole of a long document would change nothing.
_SAMPLE_CHARS = 6000


def language_of(text: str, default: str = "en") -> str:
    """The most likely language of `text` among LANGUAGES, `default` when nothing tells."""
    votes = Counter(
        _VOTES[token] for token in _TOKEN.findall(text[:_SAMPLE_CHARS].lower()) if token in _VOTES
    )
    if not votes:
        return default
    return votes.most_common(1)[0][0]
